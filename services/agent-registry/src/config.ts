import { readServiceEnv, type ServiceEnv } from '@baton/messaging';
import { envInt, rawEnv, type EnvSource } from '@baton/telemetry';

/** Everything the agent-registry reads from its environment, read once at start-up; `DATABASE_URL` and `NATS_URL` are required. */
export interface AgentRegistryConfig extends ServiceEnv {
  /** `HEARTBEAT_WINDOW_MS` (default 30000): an agent with no heartbeat for this long is marked offline. */
  readonly heartbeatWindowMs: number;
  /** `AGENTS_FILE`: agents.yaml to load at start and on reload (SIGHUP, reload-agents); none when unset. */
  readonly agentsFile?: string;
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
    ...readServiceEnv(DEFAULT_HTTP_PORT, source, { required: true }),
    heartbeatWindowMs: envInt('HEARTBEAT_WINDOW_MS', DEFAULT_HEARTBEAT_WINDOW_MS, { ...opts, min: 100, max: 24 * 3600 * 1000 }),
    ...(agentsFile === undefined ? {} : { agentsFile }),
  };
}
