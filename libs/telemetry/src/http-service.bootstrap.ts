import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { envInt, envString, type EnvSource } from './env';
import { createLogger } from './logger';
import { PinoNestLogger } from './nest-logger';

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
  return envString('HTTP_HOST', DEFAULT_HTTP_HOST, source ? { source } : {});
}

/** HTTP server settings every service reads from its environment. */
export interface HttpServerEnv {
  /** `HTTP_PORT` (0 picks a free port). */
  readonly port: number;
  /** `HTTP_HOST`, default loopback ({@link DEFAULT_HTTP_HOST}); containers set `0.0.0.0`. */
  readonly host: string;
  /** `SHUTDOWN_TIMEOUT_MS`, default 10000: after a signal, exit 1 if closing takes longer. */
  readonly shutdownTimeoutMs: number;
}

/**
 * Reads `HTTP_PORT`, `HTTP_HOST` and `SHUTDOWN_TIMEOUT_MS`; call it from `main.ts` with the
 * service's own default port.
 *
 * @example
 * const server = readHttpServerEnv(3101); // { port: 3101, host: '127.0.0.1', shutdownTimeoutMs: 10000 }
 */
export function readHttpServerEnv(defaultPort: number, source?: EnvSource): HttpServerEnv {
  const opts = source ? { source } : {};
  return {
    port: envInt('HTTP_PORT', defaultPort, { ...opts, min: 0, max: 65535 }),
    host: envHttpHost(source),
    shutdownTimeoutMs: envInt('SHUTDOWN_TIMEOUT_MS', 10_000, { ...opts, min: 0 }),
  };
}

/** What {@link startHttpService} needs. */
export interface StartHttpServiceOptions {
  /** The root module, already configured by the composition root. */
  readonly module: Type<unknown> | DynamicModule;
  readonly server: HttpServerEnv;
  readonly logger: Logger;
}

/**
 * Creates the Nest HTTP app with pino logging, listens, and closes it on SIGTERM/SIGINT:
 * readiness turns 503, Nest shutdown hooks run, the server stops, the process exits 0
 * (or 1 if closing outlasts `shutdownTimeoutMs`).
 *
 * @example
 * runMain('scheduler', async (logger) => {
 *   await startHttpService({ module: AppModule.forRoot(config), server: readHttpServerEnv(3101), logger });
 * });
 */
export async function startHttpService(options: StartHttpServiceOptions): Promise<INestApplication> {
  const { logger, server } = options;
  const app = await NestFactory.create(options.module, {
    logger: new PinoNestLogger(logger),
    // Let start-up errors reach runMain (logged, exit 1) instead of process.abort().
    abortOnError: false,
  });
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: server.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, server.shutdownTimeoutMs);
    timer.unref();
    app.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen(server.port, server.host);
  const address = app.getHttpServer().address();
  logger.info({ host: server.host, port: typeof address === 'object' && address ? address.port : server.port }, 'listening');
  return app;
}

/**
 * Runs a service's `main`: creates its logger (a bad `LOG_LEVEL` is reported on stderr),
 * logs any start-up error (for example an {@link EnvError}) as fatal and exits 1, and does
 * the same for uncaught errors later on.
 *
 * @example
 * runMain('scheduler', async (logger) => { ... });
 */
export function runMain(service: string, main: (logger: Logger) => Promise<unknown>): void {
  let logger: Logger;
  try {
    logger = createLogger({ service });
  } catch (err) {
    process.stderr.write(`${service}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const die = (msg: string) => (err: unknown) => {
    logger.fatal({ err }, `${msg}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));
  main(logger).catch(die('start-up failed'));
}

/** What {@link runService} stops: a started service with its own `close()`. */
export interface ClosableService {
  close(): Promise<void>;
}

/**
 * Runs a service's `main` with {@link runMain} (logger, fatal start-up errors), then closes the
 * service `start` returns on the first SIGTERM/SIGINT and exits 0 (1 if closing fails).
 *
 * @example
 * runService('scheduler', async (logger) => {
 *   const scheduler = await startScheduler({ ...readSchedulerConfig(), logger: new PinoNestLogger(logger) });
 *   logger.info({ http: scheduler.httpUrl }, 'scheduler ready');
 *   return scheduler;
 * });
 */
export function runService(service: string, start: (logger: Logger) => Promise<ClosableService>): void {
  runMain(service, async (logger) => {
    const running = await start(logger);
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      running.close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
