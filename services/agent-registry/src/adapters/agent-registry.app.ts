import { CloseStack } from '@baton/telemetry';
import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { openEventStore, type EventStore } from '@baton/event-store';
import { eventSubjectFor, EVENTS_STREAM, ValidationError, type ReloadAgentsReply } from '@baton/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  BatonRpcTransport,
  connectNats,
  consumeDurable,
  PostgresInboxStore,
  type DurableConsumer,
  ensureEventStreams,
  EventRelay,
  PostgresCheckpointStore,
  type ManagedNatsConnection,
  type MessagingLogger,
} from '@baton/messaging';
import { Pool } from 'pg';
import { createKysely, migrateSchema, ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import { AgentCommandHandler } from '../app/agent-command.handler';
import { AGENTS_PROJECTION, AGENTS_PROJECTION_FILTER, agentProjection, resetAgents } from '../app/agent.projection';
import { AgentsFileSync } from '../app/agents-file.sync';
import { HeartbeatMonitor } from '../app/heartbeat.monitor';
import type { Clock, IdSource } from '../app/ports';
import { applyTaskEvent, LOAD_TASK_EVENT_TYPES } from '../app/task-events.projector';
import { DEFAULT_HEARTBEAT_WINDOW_MS, type AgentRegistryConfig } from '../config';
import { AgentRegistryModule } from './agent-registry.module';
import { AGENT_REGISTRY_SCHEMA, type AgentRegistryDatabase } from './agents.table';
import { randomIds, systemClock } from './clock';
import { subscribeHeartbeats } from './heartbeat.subscriber';
import { agentRegistryMigrations } from './migrations';

/** The relay's checkpoint table, next to the service's read models. */
export const RELAY_CHECKPOINTS_TABLE = `${AGENT_REGISTRY_SCHEMA}.relay_checkpoints`;
/** The task-events consumer's inbox (event ids already applied), next to the tables it changes. */
export const CONSUMER_INBOX_TABLE = `${AGENT_REGISTRY_SCHEMA}.consumer_inbox`;
/** Durable JetStream consumer of the task events that drive load and performance. */
export const TASK_EVENTS_DURABLE = 'agent-registry-task-load';

const silentLogger: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

export interface StartAgentRegistryOptions extends Omit<AgentRegistryConfig, 'heartbeatWindowMs'> {
  /** An agent with no heartbeat for this long goes offline. Default {@link DEFAULT_HEARTBEAT_WINDOW_MS}. */
  readonly heartbeatWindowMs?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Nest logger; `false` silences it (tests). */
  readonly logger?: LoggerService | false;
  /** Interface to bind HTTP to. Default all interfaces. */
  readonly httpHost?: string;
  /** How often due heartbeat timers are looked for. Default 250 ms. */
  readonly timerPollIntervalMs?: number;
  /**
   * The durable consumer of task events. Default `{ durable: TASK_EVENTS_DURABLE, deliverPolicy: 'all' }`;
   * tests sharing one NATS server give each app its own name and start at new events.
   */
  readonly taskEvents?: { readonly durable?: string; readonly deliverPolicy?: 'all' | 'new' };
}

/** A running agent-registry and the adapters it owns; `close()` stops everything in reverse order. */
export interface AgentRegistryApp {
  readonly app: INestApplication;
  readonly store: EventStore;
  readonly db: Kysely<AgentRegistryDatabase>;
  readonly projection: ProjectionRunner<AgentRegistryDatabase>;
  readonly nats: ManagedNatsConnection;
  /** Publishes the agent events of the store to JetStream (`baton.evt.agent.*`). */
  readonly relay: EventRelay;
  /** Runs agent commands in-process (the NATS controller, the agents file sync and the timers use it). */
  readonly commands: AgentCommandHandler;
  /** Heartbeats and durable heartbeat timers. */
  readonly heartbeats: HeartbeatMonitor;
  /** Consumer of `baton.evt.task.*` for load and performance. */
  readonly taskEvents: DurableConsumer;
  /** Re-reads `agentsFile` and syncs the registry to it (VALIDATION_FAILED when none is configured or it is invalid). */
  reloadAgents(): Promise<ReloadAgentsReply>;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3102`. */
  readonly httpUrl: string;
  close(): Promise<void>;
}

/**
 * Builds and starts the agent-registry: Postgres event store, read-model migrations, the agents
 * projection, the NATS connection, the relay of agent events to JetStream, the agents file
 * sync (when `agentsFile` is set), the task-events consumer (load and performance), the
 * heartbeat subscription and timer poller, and the Nest app with its NATS transport and HTTP
 * health routes.
 * `main.ts` calls it with the environment's config; integration tests call it with a test database.
 * If a step fails, what was already started is closed before the error is rethrown.
 *
 * @example
 * const registry = await startAgentRegistry({ databaseUrl, natsUrl, httpPort: 0, logger: false });
 * await registry.close();
 */
export async function startAgentRegistry(options: StartAgentRegistryOptions): Promise<AgentRegistryApp> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const heartbeatWindowMs = options.heartbeatWindowMs ?? DEFAULT_HEARTBEAT_WINDOW_MS;
  const resources = new CloseStack('agent-registry');
  const closeAll = (): Promise<void> => resources.closeAll();

  try {
    // One pool for the event store, the read models and the relay checkpoint; owned here.
    const pool = new Pool({ connectionString: options.databaseUrl, max: 20, application_name: 'agent-registry' });
    pool.on('error', () => undefined);
    resources.defer(() => pool.end());

    const store = await openEventStore(options.eventStore ?? { kind: 'postgres' }, { pool });
    resources.defer(() => store.close());

    const db = createKysely<AgentRegistryDatabase>({ pool });
    resources.defer(() => db.destroy());
    await migrateSchema(db as Kysely<unknown>, { schema: AGENT_REGISTRY_SCHEMA, migrations: agentRegistryMigrations });

    const projection = new ProjectionRunner<AgentRegistryDatabase>({
      name: AGENTS_PROJECTION,
      schema: AGENT_REGISTRY_SCHEMA,
      db,
      store,
      filter: AGENTS_PROJECTION_FILTER,
      apply: agentProjection({ heartbeatWindowMs }),
      reset: resetAgents,
      now: () => clock.now(),
    });
    await projection.start();
    resources.defer(() => projection.stop());

    const messagingLogger = options.logger === false ? { logger: silentLogger } : options.logger ? { logger: options.logger } : {};
    const nats = await connectNats({ url: options.natsUrl, name: 'agent-registry', ...messagingLogger });
    resources.defer(() => nats.drain());

    await ensureEventStreams(await jetstreamManager(nats.nc));
    const checkpoints = new PostgresCheckpointStore(pool, { table: RELAY_CHECKPOINTS_TABLE });
    await checkpoints.ensureSchema();
    const relay = new EventRelay({
      name: 'relay-agent-registry',
      store,
      js: jetstream(nats.nc),
      checkpoints,
      filter: AGENTS_PROJECTION_FILTER,
      now: () => clock.now().getTime(),
      ...messagingLogger,
    });
    await relay.start();
    resources.defer(() => relay.stop());

    const commands = new AgentCommandHandler(store, clock, ids);
    const fileSync = new AgentsFileSync(commands, db, clock);
    const reloadAgents = (): Promise<ReloadAgentsReply> => {
      if (options.agentsFile === undefined) {
        return Promise.reject(new ValidationError('no agents file is configured (set AGENTS_FILE)', { variable: 'AGENTS_FILE' }));
      }
      return fileSync.syncFile(options.agentsFile);
    };
    if (options.agentsFile !== undefined) await reloadAgents();

    const log = options.logger === false ? silentLogger : options.logger ? options.logger : new Logger('agent-registry');
    const inbox = new PostgresInboxStore(pool, { table: CONSUMER_INBOX_TABLE });
    await inbox.ensureSchema();
    const durable = options.taskEvents?.durable ?? TASK_EVENTS_DURABLE;
    const taskEvents = await consumeDurable({
      js: jetstream(nats.nc),
      jsm: await jetstreamManager(nats.nc),
      stream: EVENTS_STREAM,
      durable,
      filterSubjects: LOAD_TASK_EVENT_TYPES.map((type) => eventSubjectFor('task', type)),
      inbox,
      deliverPolicy: options.taskEvents?.deliverPolicy ?? 'all',
      // The effect and the inbox row commit together: a redelivered event changes nothing.
      handler: async (event) => {
        await inbox.runOnce(durable, event.eventId, (trx) => applyTaskEvent(trx, event));
      },
      ...messagingLogger,
    });
    resources.defer(() => taskEvents.stop());

    const heartbeats = new HeartbeatMonitor(db, commands, clock, {
      windowMs: heartbeatWindowMs,
      ...(options.timerPollIntervalMs !== undefined ? { pollIntervalMs: options.timerPollIntervalMs } : {}),
      logger: log,
    });
    heartbeats.start();
    resources.defer(() => heartbeats.stop());
    const stopHeartbeats = subscribeHeartbeats(nats.nc, heartbeats);
    resources.defer(stopHeartbeats);

    const app = await NestFactory.create(AgentRegistryModule.register({ store, db, projection, relay, nc: nats.nc, clock, ids, commands, reloadAgents }), {
      logger: options.logger ?? undefined,
      abortOnError: false,
    });
    resources.defer(() => app.close());
    app.connectMicroservice<MicroserviceOptions>(
      {
        strategy: new BatonRpcTransport({
          service: 'agent-registry',
          connection: nats.nc,
          ...messagingLogger,
        }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(options.httpPort, options.httpHost ?? '0.0.0.0');
    const address = app.getHttpServer().address() as { port: number };
    const host = options.httpHost && options.httpHost !== '0.0.0.0' ? options.httpHost : '127.0.0.1';

    return {
      app,
      store,
      db,
      projection,
      nats,
      relay,
      commands,
      heartbeats,
      taskEvents,
      reloadAgents,
      httpUrl: `http://${host}:${address.port}`,
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}
