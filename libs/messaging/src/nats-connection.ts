import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsCredsOptions } from '@baton/nats-auth';
import { rawEnv } from '@baton/telemetry';
import { defaultLogger, type MessagingLogger } from './messaging.logger';

export interface ConnectNatsOptions {
  /** One server URL or a comma-separated list, e.g. `nats://127.0.0.1:4222`. */
  readonly url: string;
  /** Connection name shown by the server (`nats server report connections`); use the service name. */
  readonly name: string;
  /** Milliseconds between reconnect attempts to one server. Default 2000. */
  readonly reconnectTimeWaitMs?: number;
  /** Random extra wait added to each reconnect attempt, so replicas do not stampede. Default 1000. */
  readonly reconnectJitterMs?: number;
  /** Keep retrying the first connect instead of failing at once. Default false (fail fast at start-up). */
  readonly waitOnFirstConnect?: boolean;
  /**
   * Path of the service's `.creds` file (decentralized auth, docs/security.md). Default the
   * `NATS_CREDS` variable; unset: no credentials (a server with auth off).
   */
  readonly credsFile?: string;
  readonly logger?: MessagingLogger;
}

/** A NATS connection plus the status logger attached to it. */
export interface ManagedNatsConnection {
  readonly nc: NatsConnection;
  /**
   * Drains the connection: stops subscriptions after their in-flight messages, flushes
   * pending publishes, then closes. Resolves when closed; safe to call twice.
   */
  drain(): Promise<void>;
}

/**
 * Connects to NATS with production reconnect settings: reconnect forever, jittered waits,
 * and a log line for every disconnect, reconnect and server error.
 *
 * @example
 * const { nc, drain } = await connectNats({ url: process.env.NATS_URL!, name: 'agent-registry' });
 * process.once('SIGTERM', () => void drain());
 */
export async function connectNats(options: ConnectNatsOptions): Promise<ManagedNatsConnection> {
  const logger = options.logger ?? defaultLogger('Nats');
  const servers = options.url.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const credsFile = options.credsFile ?? rawEnv('NATS_CREDS');
  const nc = await connect({
    servers,
    ...(credsFile === undefined ? {} : natsCredsOptions(credsFile)),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnect: true,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 2000,
    reconnectJitter: options.reconnectJitterMs ?? 1000,
    reconnectJitterTLS: options.reconnectJitterMs ?? 1000,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    // Every request would otherwise build an Error just to keep the caller's async stack for a
    // possible failure: about 5 % of the scheduler's CPU and a third of the relay's in profiles.
    noAsyncTraces: true,
  });
  logger.log(`connected to ${nc.getServer()} as "${options.name}"`);
  void logStatus(nc, options.name, logger);
  let draining: Promise<void> | undefined;
  return {
    nc,
    drain() {
      if (nc.isClosed()) return Promise.resolve();
      draining ??= nc.isDraining() ? nc.closed().then(() => undefined) : nc.drain();
      return draining;
    },
  };
}

async function logStatus(nc: NatsConnection, name: string, logger: MessagingLogger): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
        logger.warn(`"${name}" disconnected from ${s.server}`);
        break;
      case 'reconnect':
        logger.log(`"${name}" reconnected to ${s.server}`);
        break;
      case 'error':
        logger.error(`"${name}" server error: ${s.error.message}`);
        break;
      case 'staleConnection':
        logger.warn(`"${name}" connection is stale; reconnecting`);
        break;
      case 'slowConsumer':
        logger.warn(`"${name}" slow consumer on ${s.sub.getSubject()} (${s.pending} pending)`);
        break;
      case 'ldm':
        logger.warn(`"${name}" server ${s.server} entered lame-duck mode`);
        break;
      default:
        break;
    }
  }
}
