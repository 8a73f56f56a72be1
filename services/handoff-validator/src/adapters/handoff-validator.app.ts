import { CloseStack, type ReadinessCheck } from '@baton/telemetry';
import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { openEventStore, type EventStore } from '@baton/event-store';
import {
  BatonRpcTransport,
  connectNats,
  ensureEventStreams,
  EventRelay,
  PostgresCheckpointStore,
  type ManagedNatsConnection,
  type MessagingLogger,
} from '@baton/messaging';
import { createKysely, migrateSchema, ProjectionRunner } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';
import { Pool } from 'pg';
import { AppModule } from '../app.module';
import { HandoffCommandHandler, type HandoffRules } from '../app/handoff-command.handler';
import { HandoffMetrics } from '../app/handoff.metrics';
import { applyHandoffEvent, HANDOFFS_FILTER, HANDOFFS_PROJECTION, resetHandoffs } from '../app/handoff.projection';
import type { ArtifactStore, Clock, IdSource } from '../app/ports';
import { DEFAULT_ARTIFACT_MAX_BYTES, type HandoffsDirConfig, type HandoffValidatorConfig } from '../config';
import { randomIds, systemClock } from './clock';
import { loadHandoffRules } from './handoff-specs.loader';
import { HANDOFF_SCHEMA, type HandoffDatabase } from './handoffs.table';
import { handoffMigrations } from './migrations';
import { PostgresArtifactStore } from './postgres-artifact.store';

/** The relay's checkpoint table, next to the service's read models. */
export const RELAY_CHECKPOINTS_TABLE = `${HANDOFF_SCHEMA}.relay_checkpoints`;
/** Name of the relay of handoff events to JetStream (its checkpoint row). */
export const HANDOFF_RELAY = 'relay-handoff-validator';

const silentLogger: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

export interface StartHandoffValidatorOptions extends Omit<HandoffValidatorConfig, 'httpHost' | 'handoffsDir' | 'artifactMaxBytes' | 'ruleModules'> {
  /** Custom-rule plug-ins (`HANDOFF_RULE_MODULES`), each exporting `register(registry)`. */
  readonly ruleModules?: readonly string[];
  /** Interface to bind HTTP to. Default all interfaces. */
  readonly httpHost?: string;
  /** The handoff specs: a directory (a path given here must exist), or rules already loaded (tests). */
  readonly handoffsDir?: HandoffsDirConfig | string;
  readonly rules?: HandoffRules;
  /** Default {@link DEFAULT_ARTIFACT_MAX_BYTES}. */
  readonly artifactMaxBytes?: number;
  /** Default: {@link PostgresArtifactStore} on the service's database. */
  readonly artifactStore?: ArtifactStore;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Nest logger; `false` silences it (tests). */
  readonly logger?: LoggerService | false;
  /** Reported by /metrics. Default 0.0.0. */
  readonly version?: string;
}

/** A running handoff-validator and the adapters it owns; `close()` stops everything in reverse order. */
export interface HandoffValidatorApp {
  readonly app: INestApplication;
  readonly store: EventStore;
  readonly db: Kysely<HandoffDatabase>;
  readonly artifacts: ArtifactStore;
  readonly projection: ProjectionRunner<HandoffDatabase>;
  readonly nats: ManagedNatsConnection;
  /** Publishes the handoff events of the store to JetStream (`baton.evt.handoff.*`). */
  readonly relay: EventRelay;
  /** Runs validate-handoff and put-artifact in-process (the NATS controller uses it). */
  readonly commands: HandoffCommandHandler;
  readonly rules: HandoffRules;
  readonly metrics: HandoffMetrics;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3103`. */
  readonly httpUrl: string;
  close(): Promise<void>;
}

/**
 * Builds and starts the handoff-validator: loads the handoff specs first (an invalid spec file
 * stops start-up with its file:line:col message), then the Postgres event store, the
 * `baton_handoff` migrations (artifact store and read model), the handoffs projection, the NATS
 * connection, the relay of handoff events to JetStream, and the Nest app with its NATS
 * transport and HTTP routes (health, metrics). `main.ts` calls it with the environment's
 * config; integration tests with a test database. If a step fails, what was already started is
 * closed before the error is rethrown.
 *
 * @example
 * const validator = await startHandoffValidator({ databaseUrl, natsUrl, httpPort: 0, logger: false });
 * await validator.close();
 */
export async function startHandoffValidator(options: StartHandoffValidatorOptions): Promise<HandoffValidatorApp> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const logger: MessagingLogger = options.logger === false ? silentLogger : (options.logger ?? new Logger('handoff-validator'));
  const nestLogger = options.logger === false ? false : (options.logger ?? undefined);
  const resources = new CloseStack('handoff-validator');
  const closeAll = (): Promise<void> => resources.closeAll();

  try {
    const rules = options.rules ?? (await loadHandoffRules(options.handoffsDir, logger, options.ruleModules ?? []));

    // One pool for the event store, the artifact store, the read models and the relay checkpoint; owned here.
    const pool = new Pool({ connectionString: options.databaseUrl, max: 20, application_name: 'handoff-validator' });
    pool.on('error', () => undefined);
    resources.defer(() => pool.end());

    const store = await openEventStore(options.eventStore ?? { kind: 'postgres' }, { pool });
    resources.defer(() => store.close());

    const db = createKysely<HandoffDatabase>({ pool });
    resources.defer(() => db.destroy());
    await migrateSchema(db as Kysely<unknown>, { schema: HANDOFF_SCHEMA, migrations: handoffMigrations });
    const artifacts = options.artifactStore ?? new PostgresArtifactStore(db, clock);

    const projection = new ProjectionRunner<HandoffDatabase>({
      name: HANDOFFS_PROJECTION,
      schema: HANDOFF_SCHEMA,
      db,
      store,
      filter: HANDOFFS_FILTER,
      apply: applyHandoffEvent,
      reset: resetHandoffs,
      now: () => clock.now(),
      onError: (err) => logger.error(`handoffs projection failed: ${(err as Error).message}`),
    });
    await projection.start();
    resources.defer(() => projection.stop());

    const nats = await connectNats({ url: options.natsUrl, name: 'handoff-validator', logger });
    resources.defer(() => nats.drain());

    await ensureEventStreams(await jetstreamManager(nats.nc));
    const checkpoints = new PostgresCheckpointStore(pool, { table: RELAY_CHECKPOINTS_TABLE });
    await checkpoints.ensureSchema();
    const relay = new EventRelay({
      name: HANDOFF_RELAY,
      store,
      js: jetstream(nats.nc),
      checkpoints,
      filter: HANDOFFS_FILTER,
      now: () => clock.now().getTime(),
      logger,
    });
    await relay.start();
    resources.defer(() => relay.stop());

    const metrics = new HandoffMetrics();
    const commands = new HandoffCommandHandler({
      store,
      artifacts,
      rules,
      clock,
      ids,
      metrics,
      maxArtifactBytes: options.artifactMaxBytes ?? DEFAULT_ARTIFACT_MAX_BYTES,
    });

    const readinessChecks: ReadinessCheck[] = [
      { name: 'nats', check: async () => void (await nats.nc.rtt()) },
      { name: 'postgres', check: async () => void (await sql`SELECT 1`.execute(db)) },
      {
        name: 'projection:handoffs',
        check: () => {
          if (!projection.isLive) throw new Error(`handoffs projection is ${projection.state === 'running' ? 'catching up' : projection.state}`);
        },
      },
      {
        name: 'relay',
        check: () => {
          if (!relay.lag().running) throw new Error('event relay is not running');
        },
      },
    ];
    const app = await NestFactory.create(
      AppModule.forRoot({ version: options.version ?? '0.0.0', readinessChecks, metrics, deps: { store, db, artifacts, commands, rules } }),
      { logger: nestLogger, abortOnError: false },
    );
    resources.defer(() => app.close());
    app.connectMicroservice<MicroserviceOptions>(
      { strategy: new BatonRpcTransport({ service: 'handoff-validator', connection: nats.nc, logger }) },
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
      artifacts,
      projection,
      nats,
      relay,
      commands,
      rules,
      metrics,
      httpUrl: `http://${host}:${address.port}`,
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}
