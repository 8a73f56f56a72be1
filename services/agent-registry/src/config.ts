import { eventStoreSelectionFromEnv, type EventStoreSelection } from '@baton/event-store';
import { envInt, envString, envUrl, rawEnv, readHttpServerEnv, type EnvSource, type HttpServerEnv } from '@baton/telemetry';

/** Everything the agent-registry reads from its environment, read once at start-up. */
export interface AgentRegistryConfig extends HttpServerEnv {
  /** `DATABASE_URL` (required): PostgreSQL holding the event store and the `agent_registry` read models. */
  readonly databaseUrl: string;
  /** `NATS_URL` (required). */
  readonly natsUrl: string;
  /** `HEARTBEAT_WINDOW_MS` (default 30000): an agent with no heartbeat for this long is marked offline. */
  readonly heartbeatWindowMs: number;
  /** `AGENTS_FILE`: agents.yaml to load at start and on reload (SIGHUP, reload-agents); none when unset. */
  readonly agentsFile?: string;
  /** Event store adapter (`BATON_EVENT_STORE`, `EVENTSTORE_URL`); Postgres when unset. */
  readonly eventStore?: EventStoreSelection;
}

export const DEFAULT_HTTP_PORT = 3102;
export const DEFAULT_HEARTBEAT_WINDOW_MS = 30_000;

/**
 * Reads and checks the configuration with the telemetry env getters (blank means unset; a bad
 * value throws an error naming the variable).
 *
 * @example
 * const config = readAgentRegistryConfig(); // from process.env
 */
export function readAgentRegistryConfig(source: EnvSource = process.env): AgentRegistryConfig {
  const opts = { source };
  const agentsFile = rawEnv('AGENTS_FILE', source);
  return {
    databaseUrl: envUrl('DATABASE_URL', undefined, { ...opts, protocols: ['postgres', 'postgresql'] }),
    natsUrl: envString('NATS_URL', undefined, opts),
    ...readHttpServerEnv(DEFAULT_HTTP_PORT, source),
    heartbeatWindowMs: envInt('HEARTBEAT_WINDOW_MS', DEFAULT_HEARTBEAT_WINDOW_MS, { ...opts, min: 100, max: 24 * 3600 * 1000 }),
    ...(agentsFile === undefined ? {} : { agentsFile }),
    eventStore: eventStoreSelectionFromEnv(source),
  };
}
