import { CloseStack } from '@baton/telemetry';
import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { openEventStore, type EventStore } from '@baton/event-store';
import { EVENTS_STREAM } from '@baton/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  BatonRpcTransport,
  connectNats,
  consumeDurable,
  ensureEventStreams,
  EventRelay,
  PostgresCheckpointStore,
  PostgresInboxStore,
  type DurableConsumer,
  type ManagedNatsConnection,
  type MessagingLogger,
} from '@baton/messaging';
import { Pool } from 'pg';
import { createKysely, migrateSchema, ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import { EscalationCommandHandler } from '../app/escalation-command.handler';
import { applyEscalationEvent, ESCALATIONS_FILTER, ESCALATIONS_PROJECTION, resetEscalations } from '../app/escalation.projection';
import { EscalationService } from '../app/escalation.service';
import { EscalationTimers } from '../app/escalation.timers';
import { applyInputEvent } from '../app/input-events.consumer';
import { INPUT_SUBJECTS } from '../app/input-events';
import type { AgentDirectory, Clock, IdSource, StageDecisions, Transactor } from '../app/ports';
import { DEFAULT_POLL_MS, type EscalationConfig } from '../config';
import { DEFAULT_LADDER } from '../domain';
import { randomIds, systemClock } from './clock';
import { EscalationModule } from './escalation.module';
import { ESCALATION_SCHEMA, type EscalationDatabase } from './escalation.tables';
import { escalationMigrations } from './migrations';
import { RegistryAgentDirectory } from './registry.directory';
import { SchedulerStageDecisions } from './scheduler.decisions';
import { inTransaction } from './sql';

/** The relay's checkpoint table, next to the service's tables. */
export const RELAY_CHECKPOINTS_TABLE = `${ESCALATION_SCHEMA}.relay_checkpoints`;
/** The input consumer's inbox (event ids already applied), next to the tables it changes. */
export const CONSUMER_INBOX_TABLE = `${ESCALATION_SCHEMA}.consumer_inbox`;
/** Durable JetStream consumer of the task, run, conflict and workflow events escalation watches. */
export const INPUTS_DURABLE = 'escalation-inputs';

const silentLogger: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

export interface StartEscalationOptions extends Omit<EscalationConfig, 'ladder' | 'pollIntervalMs' | 'registryTimeoutMs' | 'schedulerTimeoutMs'> {
  /** Default {@link DEFAULT_LADDER}. */
  readonly ladder?: EscalationConfig['ladder'];
  /** How often due timers are looked for. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Default 2000 ms. */
  readonly registryTimeoutMs?: number;
  /** Default 5000 ms. */
  readonly schedulerTimeoutMs?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Default: the agent registry over NATS. */
  readonly directory?: AgentDirectory;
  /** Default: the scheduler over NATS. */
  readonly decisions?: StageDecisions;
  /** Nest logger; `false` silences it (tests). */
  readonly logger?: LoggerService | false;
  /** Interface to bind HTTP to. Default all interfaces. */
  readonly httpHost?: string;
  /** Reported by /metrics. Default 0.0.0. */
  readonly version?: string;
  /**
   * The durable consumer of input events. Default `{ durable: INPUTS_DURABLE, deliverPolicy: 'all' }`;
   * tests sharing one NATS server give each app its own name and start at new events.
   */
  readonly inputs?: { readonly durable?: string; readonly deliverPolicy?: 'all' | 'new' };
}

/** A running escalation service and the adapters it owns; `close()` stops everything in reverse order. */
export interface EscalationApp {
  readonly app: INestApplication;
  readonly store: EventStore;
  readonly pool: Pool;
  readonly db: Kysely<EscalationDatabase>;
  readonly projection: ProjectionRunner<EscalationDatabase>;
  readonly nats: ManagedNatsConnection;
  /** Publishes the escalation events of the store to JetStream (`baton.evt.escalation.*`). */
  readonly relay: EventRelay;
  readonly commands: EscalationCommandHandler;
  readonly escalations: EscalationService;
  /** The durable timer poller (raise, climb, resolve). */
  readonly timers: EscalationTimers;
  /** Consumer of the task, run, conflict and workflow events. */
  readonly inputs: DurableConsumer;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3104`. */
  readonly httpUrl: string;
  close(): Promise<void>;
}

/**
 * Builds and starts the escalation service: Postgres event store, `baton_escalation`
 * migrations, the escalations projection (which arms climb timers), the NATS connection, the
 * relay of escalation events to JetStream, the durable consumer of task/run/conflict/workflow
 * events (watches and raise/resolve timers, with inbox dedupe), the timer poller, and the Nest
 * app with its NATS transport and HTTP health and metrics routes. `main.ts` calls it with the
 * environment's config; integration tests call it with a test database and a clock they move.
 * If a step fails, what was already started is closed before the error is rethrown.
 *
 * @example
 * const escalation = await startEscalation({ databaseUrl, natsUrl, httpPort: 0, logger: false });
 * await escalation.close();
 */
export async function startEscalation(options: StartEscalationOptions): Promise<EscalationApp> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const ladder = options.ladder ?? DEFAULT_LADDER;
  const resources = new CloseStack('escalation');
  const closeAll = (): Promise<void> => resources.closeAll();

  try {
    const pool = new Pool({ connectionString: options.databaseUrl, max: 20, application_name: 'escalation' });
    pool.on('error', () => undefined);
    resources.defer(() => pool.end());
    const transaction: Transactor = (work) => inTransaction(pool, work);

    const store = await openEventStore(options.eventStore ?? { kind: 'postgres' }, { pool });
    resources.defer(() => store.close());

    const db = createKysely<EscalationDatabase>({ pool });
    resources.defer(() => db.destroy());
    await migrateSchema(db as Kysely<unknown>, { schema: ESCALATION_SCHEMA, migrations: escalationMigrations });

    const projection = new ProjectionRunner<EscalationDatabase>({
      name: ESCALATIONS_PROJECTION,
      schema: ESCALATION_SCHEMA,
      db,
      store,
      filter: ESCALATIONS_FILTER,
      apply: applyEscalationEvent,
      reset: resetEscalations,
      now: () => clock.now(),
    });
    await projection.start();
    resources.defer(() => projection.stop());

    const messagingLogger = options.logger === false ? { logger: silentLogger } : options.logger ? { logger: options.logger } : {};
    const log: MessagingLogger = options.logger === false ? silentLogger : options.logger ? options.logger : new Logger('escalation');
    const nats = await connectNats({ url: options.natsUrl, name: 'escalation', ...messagingLogger });
    resources.defer(() => nats.drain());

    const jsm = await jetstreamManager(nats.nc);
    await ensureEventStreams(jsm);
    const checkpoints = new PostgresCheckpointStore(pool, { table: RELAY_CHECKPOINTS_TABLE });
    await checkpoints.ensureSchema();
    const relay = new EventRelay({
      name: 'relay-escalation',
      store,
      js: jetstream(nats.nc),
      checkpoints,
      filter: ESCALATIONS_FILTER,
      now: () => clock.now().getTime(),
      ...messagingLogger,
    });
    await relay.start();
    resources.defer(() => relay.stop());

    const commands = new EscalationCommandHandler(store, clock, ids);
    const directory = options.directory ?? new RegistryAgentDirectory(nats.nc, log, options.registryTimeoutMs ?? 2000);
    const decisions = options.decisions ?? new SchedulerStageDecisions(nats.nc, options.schedulerTimeoutMs ?? 5000);
    const escalations = new EscalationService(commands, directory, decisions, transaction, ladder, clock);

    const inbox = new PostgresInboxStore(pool, { table: CONSUMER_INBOX_TABLE });
    await inbox.ensureSchema();
    const durable = options.inputs?.durable ?? INPUTS_DURABLE;
    const inputs = await consumeDurable({
      js: jetstream(nats.nc),
      jsm,
      stream: EVENTS_STREAM,
      durable,
      filterSubjects: INPUT_SUBJECTS,
      inbox,
      deliverPolicy: options.inputs?.deliverPolicy ?? 'all',
      // The watches, timers and the inbox row commit together: a redelivered event changes nothing.
      handler: async (event) => {
        await inbox.runOnce(durable, event.eventId, (client) => applyInputEvent(client, event, { ladder, logger: log }));
      },
      ...messagingLogger,
    });
    resources.defer(() => inputs.stop());

    const timers = new EscalationTimers(transaction, commands, directory, clock, { pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_MS, logger: log });
    timers.start();
    resources.defer(() => timers.stop());

    const app = await NestFactory.create(
      EscalationModule.register({ db, projection, relay, nc: nats.nc, escalations, version: options.version ?? '0.0.0' }),
      { logger: options.logger ?? undefined, abortOnError: false },
    );
    resources.defer(() => app.close());
    app.connectMicroservice<MicroserviceOptions>(
      { strategy: new BatonRpcTransport({ service: 'escalation', connection: nats.nc, ...messagingLogger }) },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(options.httpPort, options.httpHost ?? '0.0.0.0');
    const address = app.getHttpServer().address() as { port: number };
    const host = options.httpHost && options.httpHost !== '0.0.0.0' ? options.httpHost : '127.0.0.1';

    return {
      app,
      store,
      pool,
      db,
      projection,
      nats,
      relay,
      commands,
      escalations,
      timers,
      inputs,
      httpUrl: `http://${host}:${address.port}`,
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}
