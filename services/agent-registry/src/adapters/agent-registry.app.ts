import { CommandRunner } from '@baton/aggregate';
import { eventSubjectFor, ValidationError, type ReloadAgentsReply } from '@baton/contracts';
import { serviceLogger, startServiceHost, type DurableConsumer, type HostedServiceOptions, type ProjectingService, type ConsumerStart } from '@baton/messaging';
import { AgentsFileSync } from '../app/agents-file.sync';
import { HeartbeatMonitor } from '../app/heartbeat.monitor';
import type { AgentCommands } from '../app/ports';
import { DEFAULT_HEARTBEAT_WINDOW_MS, type AgentRegistryConfig } from '../config';
import { agentAggregate } from '../domain';
import { AGENTS_PROJECTION, AGENTS_PROJECTION_FILTER, agentProjection, resetAgents } from '../read-model/agent.projection';
import { AGENT_REGISTRY_SCHEMA, type AgentRegistryDatabase } from '../read-model/agents.table';
import { agentRegistryMigrations } from '../read-model/migrations';
import { applyTaskEvent, LOAD_TASK_EVENT_TYPES } from '../read-model/task-events.projector';
import { AgentRegistryModule } from './agent-registry.module';
import { subscribeHeartbeats } from './heartbeat.subscriber';

/** Durable JetStream consumer of the task events that drive load and performance. */
export const TASK_EVENTS_DURABLE = 'agent-registry-task-load';

/** Agents whose state the command runner keeps in memory between commands. */
const AGENT_STATE_CACHE_SIZE = 10_000;

export interface StartAgentRegistryOptions extends Omit<AgentRegistryConfig, 'heartbeatWindowMs' | 'httpHost'>, HostedServiceOptions {
  /** An agent with no heartbeat for this long goes offline. Default {@link DEFAULT_HEARTBEAT_WINDOW_MS}. */
  readonly heartbeatWindowMs?: number;
  /** How often due heartbeat timers are looked for. Default 250 ms. */
  readonly timerPollIntervalMs?: number;
  /**
   * The durable consumer of task events. Default `{ durable: TASK_EVENTS_DURABLE, deliverPolicy: 'all' }`;
   * tests sharing one NATS server give each app its own name and start at new events.
   */
  readonly taskEvents?: ConsumerStart;
}

/** A running agent-registry and the adapters it owns; `close()` stops everything in reverse order. */
export interface AgentRegistryApp extends ProjectingService<AgentRegistryDatabase> {
  /** Runs agent commands in-process (the NATS controller, the agents file sync and the timers use it). */
  readonly commands: AgentCommands;
  /** Heartbeats and durable heartbeat timers. */
  readonly heartbeats: HeartbeatMonitor;
  /** Consumer of `baton.evt.task.*` for load and performance. */
  readonly taskEvents: DurableConsumer;
  /** Re-reads `agentsFile` and syncs the registry to it (VALIDATION_FAILED when none is configured or it is invalid). */
  reloadAgents(): Promise<ReloadAgentsReply>;
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
  const heartbeatWindowMs = options.heartbeatWindowMs ?? DEFAULT_HEARTBEAT_WINDOW_MS;
  const service = { ...options, service: 'agent-registry', schema: AGENT_REGISTRY_SCHEMA, migrations: agentRegistryMigrations } as const;
  return startServiceHost<AgentRegistryDatabase, AgentRegistryApp>(service, async (host) => {
    const { store, db, clock, ids } = host;
    const projection = await host.startProjection({
      name: AGENTS_PROJECTION,
      filter: AGENTS_PROJECTION_FILTER,
      apply: agentProjection({ heartbeatWindowMs }),
      deferWrites: true,
      reset: resetAgents,
    });

    const nats = await host.connectNats(options.natsUrl);
    const relay = await host.startRelay({ name: 'relay-agent-registry', filter: AGENTS_PROJECTION_FILTER });

    // Agents take a command on every state report and heartbeat timer: their states stay hot.
    const commands: AgentCommands = new CommandRunner(store, agentAggregate, { clock, ids, cacheSize: AGENT_STATE_CACHE_SIZE });
    const fileSync = new AgentsFileSync(commands, db, clock);
    const reloadAgents = (): Promise<ReloadAgentsReply> => {
      if (options.agentsFile === undefined) {
        return Promise.reject(new ValidationError('no agents file is configured (set AGENTS_FILE)', { variable: 'AGENTS_FILE' }));
      }
      return fileSync.syncFile(options.agentsFile);
    };
    if (options.agentsFile !== undefined) await reloadAgents();

    const log = serviceLogger('agent-registry', options.logger);
    const taskEvents = await host.consumeEvents({
      durable: options.taskEvents?.durable ?? TASK_EVENTS_DURABLE,
      filterSubjects: LOAD_TASK_EVENT_TYPES.map((type) => eventSubjectFor('task', type)),
      deliverPolicy: options.taskEvents?.deliverPolicy ?? 'all',
      applyOnce: applyTaskEvent,
    });

    const heartbeats = new HeartbeatMonitor(db, commands, clock, {
      windowMs: heartbeatWindowMs,
      ...(options.timerPollIntervalMs !== undefined ? { pollIntervalMs: options.timerPollIntervalMs } : {}),
      logger: log,
    });
    heartbeats.start();
    host.defer(() => heartbeats.stop());
    const stopHeartbeats = subscribeHeartbeats(nats.nc, heartbeats);
    host.defer(stopHeartbeats);

    const readinessChecks = host.readinessChecks({ projections: { agents: projection }, relay });
    const { app, httpUrl } = await host.listen(
      AgentRegistryModule.register({ store, db, readinessChecks, commands, reloadAgents }),
      options,
    );
    return { app, store, db, projection, nats, relay, commands, heartbeats, taskEvents, reloadAgents, httpUrl, close: () => host.close() };
  });
}
