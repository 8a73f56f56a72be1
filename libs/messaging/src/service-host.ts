import { randomIds, systemClock, type Clock, type IdSource } from '@baton/aggregate';
import { EVENTS_STREAM, type RecordedEvent, type ServiceName } from '@baton/contracts';
import { CloseStack, DEFAULT_HTTP_HOST, type ReadinessCheck } from '@baton/telemetry';
import { openEventStore, type EventStore, type EventStoreSelection } from '@baton/event-store';
import {
  createKysely,
  migrateSchema,
  postgresReadiness,
  projectionReadiness,
  ProjectionRunner,
  type Migration,
  type ProjectionRunnerOptions,
} from '@baton/read-models';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Logger, type DynamicModule, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { Kysely } from 'kysely';
import { Pool, type PoolClient } from 'pg';
import { BatonRpcTransport } from './baton-rpc.transport';
import { PostgresCheckpointStore } from './checkpoint.store';
import { consumeDurable, type ConsumeDurableOptions, type DurableConsumer } from './durable-consumer';
import { EventRelay, type EventRelayOptions } from './event.relay';
import { ensureEventStreams } from './event-streams';
import { memoryReleaseIdleMsFromEnv, shareIdleMemoryRelease } from './idle-memory';
import { PostgresInboxStore } from './inbox.store';
import { PipelinedJetStreamPublisher } from './jetstream-publisher';
import type { MessagingLogger } from './messaging.logger';
import { connectNats, type ManagedNatsConnection } from './nats-connection';
import { natsReadiness, relayReadiness } from './readiness';
import { relayPublishModeFromEnv, StreamInterest, type EventInterest, type RelayPublishMode } from './relay-interest';

/** A logger that drops everything (tests pass `logger: false`). */
export const silentMessagingLogger: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The logger a service's own components (timers, directories, loaders) log to: silent for
 * `false` (tests), the given Nest logger, or a Nest `Logger` named after the service.
 */
export function serviceLogger(service: ServiceName, logger: LoggerService | false | undefined): MessagingLogger {
  if (logger === false) return silentMessagingLogger;
  return logger ?? new Logger(service);
}

/** What {@link ServiceHost.readinessChecks} checks besides NATS and Postgres. */
export interface ServiceReadiness<DB> {
  /** Each projection under its check's name (`projection:<name>`). */
  readonly projections: Readonly<Record<string, ProjectionRunner<DB>>>;
  readonly relay?: EventRelay;
}

/** What {@link startServiceHost} needs. */
export interface ServiceHostOptions {
  /** The service's name: Postgres `application_name`, NATS connection name, RPC service, close-stack label. */
  readonly service: ServiceName;
  readonly databaseUrl: string;
  /** Which event store adapter; Postgres when unset. */
  readonly eventStore?: EventStoreSelection;
  /** The service's Postgres schema: its migrations, `relay_checkpoints` and `consumer_inbox` tables. */
  readonly schema: string;
  readonly migrations: Readonly<Record<string, Migration>>;
  /** Nest logger; `false` silences Nest and the messaging components (tests). */
  readonly logger?: LoggerService | false;
  /**
   * Logger of the NATS connection, relays, consumers and RPC transport. Default: `logger`
   * (silent when `false`); when neither is given, each component's own default logger.
   */
  readonly messagingLogger?: MessagingLogger;
  /** The service's time ({@link ServiceHost.clock}), also what projections and relays stamp. Default: the system clock. */
  readonly clock?: Clock;
  /** The service's id source ({@link ServiceHost.ids}). Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Quiet time after a burst before memory is given back (idle-memory.ts); 0 is off. Default: `BATON_MEMORY_RELEASE_IDLE_MS`. */
  readonly memoryReleaseIdleMs?: number;
  /** What the service's relays publish: events some consumer of the stream reads, or all. Default: `BATON_RELAY_PUBLISH` (`interest`). */
  readonly relayPublish?: RelayPublishMode;
}

/** What {@link ServiceHost.consumeEvents} needs: a durable consumer of the events stream, less what the host supplies. */
export type ServiceConsumerOptions = Omit<ConsumeDurableOptions, 'js' | 'jsm' | 'stream' | 'inbox' | 'handler'> &
  (
    | { readonly handler: ConsumeDurableOptions['handler'] }
    /**
     * The event's effect, run once per event id: it and the consumer's inbox row commit in one
     * transaction, so a redelivered event changes nothing.
     */
    | { readonly applyOnce: (trx: PoolClient, event: RecordedEvent) => Promise<unknown> }
  );

/** Where {@link ServiceHost.listen} serves HTTP. */
export interface ServiceHttpOptions {
  readonly httpPort: number;
  /** Interface to bind to. Default loopback (`DEFAULT_HTTP_HOST`); containers pass `0.0.0.0` from `HTTP_HOST`. */
  readonly httpHost?: string;
}

/** Start-up options every service built on a {@link ServiceHost} accepts (tests set them). */
export interface HostedServiceOptions {
  /** Nest logger; `false` silences it (tests). */
  readonly logger?: LoggerService | false;
  /** Interface to bind HTTP to (`HTTP_HOST`). Default loopback. */
  readonly httpHost?: string;
  /** The time the service's commands and timers see. Default: the system clock. */
  readonly clock?: Clock;
  /** Where new event ids come from. Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Reported by /metrics. Default 0.0.0. */
  readonly version?: string;
}

/**
 * Where a service's durable consumer starts. Default: the service's own durable name, from the
 * first event; tests sharing one NATS server give each app its own name and start at new events.
 */
export interface ConsumerStart {
  readonly durable?: string;
  readonly deliverPolicy?: 'all' | 'new';
}

/** What every running service built on a {@link ServiceHost} exposes; `close()` stops everything in reverse order. */
export interface HostedService<DB> {
  readonly app: INestApplication;
  readonly store: EventStore;
  readonly db: Kysely<DB>;
  readonly nats: ManagedNatsConnection;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3102`. */
  readonly httpUrl: string;
  close(): Promise<void>;
}

/** A hosted service with one read-model projection and one relay of its own events to JetStream. */
export interface ProjectingService<DB> extends HostedService<DB> {
  readonly projection: ProjectionRunner<DB>;
  /** Publishes the service's own events of the store to JetStream (`baton.evt.<category>.*`). */
  readonly relay: EventRelay;
}

/** The Nest app {@link ServiceHost.listen} started, and its base URL. */
export interface ListeningService {
  readonly app: INestApplication;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3102` (loopback when bound to all interfaces). */
  readonly httpUrl: string;
}

/**
 * The start-up steps every event-sourced Baton service shares, each registering its cleanup on
 * one {@link CloseStack}: a pg pool, the event store, Kysely on the service's schema (migrated),
 * the relay checkpoint store, then (when the service asks) projections, the inbox store, the NATS
 * connection with the event streams, event relays, and the Nest app with its NATS RPC transport
 * and HTTP.
 * The service's composition root keeps what is its own and registers its own resources with
 * {@link ServiceHost.defer}; {@link ServiceHost.close} stops everything in reverse order.
 */
export class ServiceHost<DB> {
  private natsConnection: ManagedNatsConnection | undefined;
  private jsClient: JetStreamClient | undefined;
  private jsPublisher: PipelinedJetStreamPublisher | undefined;
  private jsManager: JetStreamManager | undefined;
  private inbox: Promise<PostgresInboxStore> | undefined;
  private interest: Promise<EventInterest | undefined> | undefined;
  /** What the relays publish, read when the host is made: a bad `BATON_RELAY_PUBLISH` stops start-up, not a later lease. */
  private readonly relayPublish: RelayPublishMode;

  /** Spread into messaging components' options: `{ logger }`, or `{}` for their own default. */
  readonly logging: { readonly logger?: MessagingLogger };
  /** The time the service's commands, timers, projections and relays see. */
  readonly clock: Clock;
  /** Where the service's new ids come from. */
  readonly ids: IdSource;

  constructor(
    readonly options: ServiceHostOptions,
    readonly resources: CloseStack,
    readonly pool: Pool,
    readonly store: EventStore,
    readonly db: Kysely<DB>,
    /** `<schema>.relay_checkpoints`, shared by the service's relays. */
    readonly checkpoints: PostgresCheckpointStore,
  ) {
    const logger = options.messagingLogger ?? (options.logger === false ? silentMessagingLogger : options.logger);
    this.logging = logger ? { logger } : {};
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? randomIds;
    this.relayPublish = options.relayPublish ?? relayPublishModeFromEnv();
  }

  /** The NATS connection (after {@link connectNats}). */
  get nats(): ManagedNatsConnection {
    return this.afterConnect(this.natsConnection);
  }

  get js(): JetStreamClient {
    return this.afterConnect(this.jsClient);
  }

  /** Publishes to JetStream with pipelined acknowledgements (see {@link PipelinedJetStreamPublisher}); the relays publish through it. */
  get publisher(): PipelinedJetStreamPublisher {
    return this.afterConnect(this.jsPublisher);
  }

  get jsm(): JetStreamManager {
    return this.afterConnect(this.jsManager);
  }

  /** `value`, set by {@link connectNats}; an error naming the service before that. */
  private afterConnect<T>(value: T | undefined): T {
    if (!value) throw new Error(`${this.options.service}: connectNats() has not been called`);
    return value;
  }

  /** Registers a cleanup step; steps run in reverse order on {@link close}. */
  defer(close: () => Promise<void>): void {
    this.resources.defer(close);
  }

  /** The consumer inbox `<schema>.consumer_inbox` (event ids already applied), its table created once. */
  openInbox(): Promise<PostgresInboxStore> {
    this.inbox ??= (async () => {
      const inbox = new PostgresInboxStore(this.pool, { table: `${this.options.schema}.consumer_inbox` });
      await inbox.ensureSchema();
      return inbox;
    })();
    return this.inbox;
  }

  /**
   * Starts a durable consumer of the events stream (after {@link connectNats}) with the
   * service's inbox and logging; stopped on close. With `applyOnce`, each event's effect and
   * its inbox row commit together.
   */
  async consumeEvents(options: ServiceConsumerOptions): Promise<DurableConsumer> {
    const inbox = await this.openInbox();
    const { durable } = options;
    const handler: ConsumeDurableOptions['handler'] =
      'applyOnce' in options
        ? async (event) => {
            await inbox.runOnce(durable, event.eventId, (trx) => options.applyOnce(trx, event));
          }
        : options.handler;
    const consumer = await consumeDurable({ ...this.logging, ...options, js: this.js, jsm: this.jsm, stream: EVENTS_STREAM, inbox, handler });
    this.defer(() => consumer.stop());
    return consumer;
  }

  /** Starts a projection into the service's schema, on the host's store, database and clock; stopped on close. */
  async startProjection(options: Omit<ProjectionRunnerOptions<DB>, 'schema' | 'db' | 'store'>): Promise<ProjectionRunner<DB>> {
    const projection = new ProjectionRunner<DB>({ now: () => this.clock.now(), ...options, schema: this.options.schema, db: this.db, store: this.store });
    await projection.start();
    this.defer(() => projection.stop());
    return projection;
  }

  /** Connects to NATS (drained on close) and makes sure the event streams exist. */
  async connectNats(url: string): Promise<ManagedNatsConnection> {
    const nats = await connectNats({ url, name: this.options.service, ...this.logging });
    this.natsConnection = nats;
    this.defer(() => nats.drain());
    this.jsManager = await jetstreamManager(nats.nc);
    this.jsClient = jetstream(nats.nc);
    const publisher = new PipelinedJetStreamPublisher(nats.nc);
    this.jsPublisher = publisher;
    this.defer(async () => publisher.close());
    await ensureEventStreams(this.jsManager);
    return nats;
  }

  /**
   * The service's readiness checks: the NATS connection (after {@link connectNats}), Postgres,
   * each of its projections and its relay.
   */
  readinessChecks(readiness: ServiceReadiness<DB>): ReadinessCheck[] {
    return [
      natsReadiness(this.nats.nc),
      postgresReadiness(this.db),
      ...Object.entries(readiness.projections).map(([name, projection]) => projectionReadiness(name, projection)),
      ...(readiness.relay ? [relayReadiness(readiness.relay)] : []),
    ];
  }

  /**
   * What the service's relays publish (after {@link connectNats}): with `relayPublish`
   * `interest`, the subjects the consumers of the events stream read, one tracker for all its
   * relays (stopped on close); with `all`, undefined (every event).
   */
  relayInterest(): Promise<EventInterest | undefined> {
    this.interest ??= (async () => {
      if (this.relayPublish === 'all') return undefined;
      const interest = new StreamInterest({ nc: this.nats.nc, jsm: this.jsm, stream: EVENTS_STREAM, ...this.logging });
      await interest.start();
      this.defer(async () => interest.stop());
      return interest;
    })();
    return this.interest;
  }

  /** Starts a relay of the store's events to JetStream (checkpointed in `<schema>.relay_checkpoints`, timed by the host's clock, by the host's {@link relayInterest}), stopped on close. */
  async startRelay(options: Omit<EventRelayOptions, 'store' | 'js' | 'checkpoints' | 'logger' | 'interest'>): Promise<EventRelay> {
    const interest = await this.relayInterest();
    const relay = new EventRelay({ now: () => this.clock.now().getTime(), ...options, ...(interest ? { interest } : {}), store: this.store, js: this.publisher, checkpoints: this.checkpoints, ...this.logging });
    await relay.start();
    this.defer(() => relay.stop());
    return relay;
  }

  /**
   * Creates the Nest app of `module` (closed on close), connects the NATS RPC transport of the
   * service's commands and queries, and listens on HTTP.
   */
  async listen(module: Type<unknown> | DynamicModule, http: ServiceHttpOptions): Promise<ListeningService> {
    const app = await NestFactory.create(module, { logger: this.options.logger ?? undefined, abortOnError: false });
    this.defer(() => app.close());
    app.connectMicroservice<MicroserviceOptions>(
      { strategy: new BatonRpcTransport({ service: this.options.service, connection: this.nats.nc, ...this.logging }) },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(http.httpPort, http.httpHost ?? DEFAULT_HTTP_HOST);
    const address = app.getHttpServer().address() as { port: number };
    const host = http.httpHost && http.httpHost !== '0.0.0.0' ? http.httpHost : '127.0.0.1';
    return { app, httpUrl: `http://${host}:${address.port}` };
  }

  /** Stops everything started so far, in reverse order. */
  close(): Promise<void> {
    return this.resources.closeAll();
  }
}

/**
 * Runs a service's start-up on a {@link ServiceHost}: gives memory back once the process has
 * gone quiet after a burst (idle-memory.ts, one releaser per process), opens the pg pool (an idle client's error
 * is ignored rather than crashing the process), the event store, Kysely with the service's
 * migrations applied and the relay checkpoint store, then calls `start`. If any step
 * fails, what was already started is closed before the error is rethrown.
 *
 * @example
 * return startServiceHost<MyDatabase, MyApp>({ service: 'my-service', databaseUrl, schema, migrations }, async (host) => {
 *   await host.connectNats(natsUrl);
 *   const relay = await host.startRelay({ name: 'relay-my-service', filter: { categories: ['thing'] } });
 *   const { app, httpUrl } = await host.listen(MyModule.register({ ... }), { httpPort: 0 });
 *   return { app, httpUrl, relay, close: () => host.close() };
 * });
 */
export async function startServiceHost<DB, T>(options: ServiceHostOptions, start: (host: ServiceHost<DB>) => Promise<T>): Promise<T> {
  const resources = new CloseStack(options.service);
  try {
    const releaseLogger = options.messagingLogger ?? serviceLogger(options.service, options.logger);
    const stopMemoryRelease = shareIdleMemoryRelease({ idleMs: options.memoryReleaseIdleMs ?? memoryReleaseIdleMsFromEnv(), logger: releaseLogger });
    resources.defer(async () => stopMemoryRelease());

    // One pool for the event store, the read models, the relay checkpoints and the inbox; owned here.
    const pool = new Pool({ connectionString: options.databaseUrl, max: 20, application_name: options.service });
    pool.on('error', () => undefined);
    resources.defer(() => pool.end());

    const store = await openEventStore(options.eventStore ?? { kind: 'postgres' }, { pool });
    resources.defer(() => store.close());

    const db = createKysely<DB>({ pool });
    resources.defer(() => db.destroy());
    await migrateSchema(db as Kysely<unknown>, { schema: options.schema, migrations: options.migrations });
    const checkpoints = new PostgresCheckpointStore(pool, { table: `${options.schema}.relay_checkpoints` });
    await checkpoints.ensureSchema();

    return await start(new ServiceHost<DB>(options, resources, pool, store, db, checkpoints));
  } catch (err) {
    await resources.closeAll().catch(() => undefined);
    throw err;
  }
}
