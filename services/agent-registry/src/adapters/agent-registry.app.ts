import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  BatonRpcTransport,
  connectNats,
  ensureEventStreams,
  EventRelay,
  PostgresCheckpointStore,
  type ManagedNatsConnection,
  type MessagingLogger,
} from '@baton/messaging';
import { Pool } from 'pg';
import { createKysely, migrateSchema, ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import { AGENTS_PROJECTION, AGENTS_PROJECTION_FILTER, applyAgentEvent, resetAgents } from '../app/agent.projection';
import type { Clock, IdSource } from '../app/ports';
import type { AgentRegistryConfig } from '../config';
import { AgentRegistryModule } from './agent-registry.module';
import { AGENT_REGISTRY_SCHEMA, type AgentRegistryDatabase } from './agents.table';
import { randomIds, systemClock } from './clock';
import { agentRegistryMigrations } from './migrations';

/** The relay's checkpoint table, next to the service's read models. */
export const RELAY_CHECKPOINTS_TABLE = `${AGENT_REGISTRY_SCHEMA}.relay_checkpoints`;

const silentLogger: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

export interface StartAgentRegistryOptions extends AgentRegistryConfig {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Nest logger; `false` silences it (tests). */
  readonly logger?: LoggerService | false;
  /** Interface to bind HTTP to. Default all interfaces. */
  readonly httpHost?: string;
}

/** A running agent-registry and the adapters it owns; `close()` stops everything in reverse order. */
export interface AgentRegistryApp {
  readonly app: INestApplication;
  readonly store: PostgresEventStore;
  readonly db: Kysely<AgentRegistryDatabase>;
  readonly projection: ProjectionRunner<AgentRegistryDatabase>;
  readonly nats: ManagedNatsConnection;
  /** Publishes the agent events of the store to JetStream (`baton.evt.agent.*`). */
  readonly relay: EventRelay;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3102`. */
  readonly httpUrl: string;
  close(): Promise<void>;
}

/**
 * Builds and starts the agent-registry: Postgres event store, read-model migrations, the agents
 * projection, the NATS connection, the relay of agent events to JetStream, and the Nest app with
 * its NATS transport and HTTP health routes.
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
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'agent-registry did not close cleanly');
  };

  try {
    // One pool for the event store, the read models and the relay checkpoint; owned here.
    const pool = new Pool({ connectionString: options.databaseUrl, max: 20, application_name: 'agent-registry' });
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());

    const store = await createPostgresEventStore({ pool });
    cleanups.push(() => store.close());

    const db = createKysely<AgentRegistryDatabase>({ pool });
    cleanups.push(() => db.destroy());
    await migrateSchema(db as Kysely<unknown>, { schema: AGENT_REGISTRY_SCHEMA, migrations: agentRegistryMigrations });

    const projection = new ProjectionRunner<AgentRegistryDatabase>({
      name: AGENTS_PROJECTION,
      schema: AGENT_REGISTRY_SCHEMA,
      db,
      store,
      filter: AGENTS_PROJECTION_FILTER,
      apply: applyAgentEvent,
      reset: resetAgents,
      now: () => clock.now(),
    });
    await projection.start();
    cleanups.push(() => projection.stop());

    const messagingLogger = options.logger === false ? { logger: silentLogger } : options.logger ? { logger: options.logger } : {};
    const nats = await connectNats({ url: options.natsUrl, name: 'agent-registry', ...messagingLogger });
    cleanups.push(() => nats.drain());

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
    cleanups.push(() => relay.stop());

    const app = await NestFactory.create(AgentRegistryModule.register({ store, db, projection, relay, nc: nats.nc, clock, ids }), {
      logger: options.logger ?? undefined,
      abortOnError: false,
    });
    cleanups.push(() => app.close());
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

    return { app, store, db, projection, nats, relay, httpUrl: `http://${host}:${address.port}`, close: closeAll };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}
