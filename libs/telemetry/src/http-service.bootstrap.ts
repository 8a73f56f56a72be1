import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { isIP } from 'node:net';
import { EnvError, envInt, envString, type EnvSource } from './env';
import { createLogger } from './logger';
import { PinoNestLogger } from './nest-logger';
import { startTracing, type Tracing } from './tracing/start-tracing';

/**
 * Where a service's HTTP port listens unless `HTTP_HOST` says otherwise: loopback, so a service
 * started on a workstation or a shared host is not reachable from the network. Containers set
 * `HTTP_HOST=0.0.0.0` so that probes and Prometheus reach them.
 */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/**
 * `HTTP_HOST`: the address a service's HTTP port listens on, default {@link DEFAULT_HTTP_HOST}
 * (blank means unset). Every service reads it through here.
 *
 * @example
 * const httpHost = envHttpHost(); // '127.0.0.1' unless HTTP_HOST is set
 */
export function envHttpHost(source?: EnvSource): string {
  const host = envString('HTTP_HOST', DEFAULT_HTTP_HOST, source ? { source } : {});
  // Refused here, naming the variable, rather than by listen() with an address error later.
  if (isIP(host) === 0 && !HOSTNAME.test(host)) throw new EnvError('HTTP_HOST', 'an IP address (127.0.0.1, 0.0.0.0, ::) or a host name', 'malformed', host);
  return host;
}

/** A DNS host name: dot-separated labels of letters, digits and inner hyphens. */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * HTTP server settings every service reads from its environment. A service's own config type
 * extends it and spreads {@link readHttpServerEnv} into what it reads, so `HTTP_PORT` and
 * `HTTP_HOST` are read one way everywhere.
 */
export interface HttpServerEnv {
  /** `HTTP_PORT` (the service's default; 0 picks a free port). */
  readonly httpPort: number;
  /** `HTTP_HOST`, default loopback ({@link DEFAULT_HTTP_HOST}); containers set `0.0.0.0`. */
  readonly httpHost: string;
}

/**
 * Reads `HTTP_PORT` and `HTTP_HOST`, with the service's own default port.
 *
 * @example
 * const server = readHttpServerEnv(3101); // { httpPort: 3101, httpHost: '127.0.0.1' }
 * return { ...readHttpServerEnv(DEFAULT_HTTP_PORT, source), natsUrl: ... }; // in a service's config.ts
 */
export function readHttpServerEnv(defaultPort: number, source?: EnvSource): HttpServerEnv {
  return {
    httpPort: envInt('HTTP_PORT', defaultPort, { ...(source ? { source } : {}), min: 0, max: 65535 }),
    httpHost: envHttpHost(source),
  };
}

/** How long closing may take after SIGTERM/SIGINT when `SHUTDOWN_TIMEOUT_MS` is unset. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * `SHUTDOWN_TIMEOUT_MS` (default {@link DEFAULT_SHUTDOWN_TIMEOUT_MS}): after a shutdown signal,
 * {@link runService} exits 1 if closing takes longer.
 */
export function envShutdownTimeoutMs(source?: EnvSource): number {
  return envInt('SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS, { ...(source ? { source } : {}), min: 0 });
}

/** What {@link startHttpService} needs. */
export interface StartHttpServiceOptions {
  /** The root module, already configured by the composition root. */
  readonly module: Type<unknown> | DynamicModule;
  readonly server: HttpServerEnv;
  readonly logger: Logger;
}

/**
 * Creates the Nest HTTP app with pino logging and listens: the start of a service with no
 * messaging of its own. Return the app from {@link runService}'s `start`, which closes it on
 * SIGTERM/SIGINT (readiness turns 503 first, then Nest shutdown hooks run and the server stops).
 *
 * @example
 * runService('gateway', async (logger) => startHttpService({ module: AppModule.forRoot(config), server: readHttpServerEnv(3000), logger }));
 */
export async function startHttpService(options: StartHttpServiceOptions): Promise<INestApplication> {
  const { logger, server } = options;
  const app = await NestFactory.create(options.module, {
    logger: new PinoNestLogger(logger),
    // Let start-up errors reach runService (logged, exit 1) instead of process.abort().
    abortOnError: false,
  });
  await app.listen(server.httpPort, server.httpHost);
  const address = app.getHttpServer().address();
  logger.info({ host: server.httpHost, port: typeof address === 'object' && address ? address.port : server.httpPort }, 'listening');
  return app;
}

/** What {@link runService} stops: a started service with its own `close()` (a Nest app is one). */
export interface ClosableService {
  close(): Promise<void>;
}

/** What a service's `start` may use besides its logger. */
export interface ServiceRuntime {
  /**
   * Runs `handler` on every `signal` other than SIGTERM/SIGINT (those stop the service) while
   * the service runs, e.g. SIGHUP to reload a file. A handler that throws or rejects is logged;
   * the service keeps running.
   */
  onSignal(signal: NodeJS.Signals, handler: () => unknown): void;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** How long exporting the last spans may hold up an exit. */
const TRACE_FLUSH_TIMEOUT_MS = 2_000;

/** Exports the buffered spans, giving up after {@link TRACE_FLUSH_TIMEOUT_MS}: an exit never waits on a dead collector. */
function stopTracing(tracing: Tracing): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, TRACE_FLUSH_TIMEOUT_MS);
    timer.unref();
    void tracing.shutdown().finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The one runtime every Baton service's `main.ts` runs on. It starts tracing first (the
 * OpenTelemetry SDK with `service.name` = `service`, when the `OTEL_*` variables turn it on; see
 * {@link startTracing}), creates the logger (pino JSON;
 * a bad `LOG_LEVEL` is reported on stderr and exits 1), reads `SHUTDOWN_TIMEOUT_MS`, and runs
 * `start`; a start-up error (an {@link EnvError}, say) and any uncaught error later are logged
 * as fatal and exit 1. On the first SIGTERM/SIGINT it closes the service `start` returned (a
 * Nest app turns readiness 503 before anything stops), exports the last spans and exits 0, or 1
 * if closing fails or outlasts the timeout.
 *
 * @example
 * runService('agent-registry', async (logger, runtime) => {
 *   const registry = await startAgentRegistry({ ...readAgentRegistryConfig(), logger: new PinoNestLogger(logger) });
 *   runtime.onSignal('SIGHUP', () => registry.reloadAgents());
 *   return registry;
 * });
 */
export function runService(service: string, start: (logger: Logger, runtime: ServiceRuntime) => Promise<ClosableService>): void {
  let logger: Logger;
  let tracing: Tracing;
  try {
    tracing = startTracing({ serviceName: service });
    logger = createLogger({ service });
  } catch (err) {
    process.stderr.write(`${service}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const die = (msg: string) => (err: unknown) => {
    logger.fatal({ err }, `${msg}: ${err instanceof Error ? err.message : String(err)}`);
    void stopTracing(tracing).finally(() => process.exit(1));
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));

  const runtime: ServiceRuntime = {
    onSignal(signal, handler) {
      if (STOP_SIGNALS.includes(signal)) throw new Error(`${signal} stops the service; runService handles it`);
      process.on(signal, () => {
        Promise.resolve()
          .then(handler)
          .catch((err: unknown) => logger.error({ signal, err }, `${signal} handler failed`));
      });
    },
  };

  const main = async (): Promise<void> => {
    const shutdownTimeoutMs = envShutdownTimeoutMs();
    const running = await start(logger, runtime);
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        logger.error({ timeoutMs: shutdownTimeoutMs }, 'shutdown timed out; exiting');
        process.exit(1);
      }, shutdownTimeoutMs).unref();
      running.close().then(
        () => {
          logger.info('stopped');
          void stopTracing(tracing).finally(() => process.exit(0));
        },
        (err: unknown) => {
          logger.error({ err }, 'error while shutting down');
          void stopTracing(tracing).finally(() => process.exit(1));
        },
      );
    };
    for (const signal of STOP_SIGNALS) process.once(signal, stop);
  };
  main().catch(die('start-up failed'));
}
