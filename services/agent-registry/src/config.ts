import { BatonError } from '@baton/contracts';
import { envInt, rawEnv } from '@baton/telemetry';
import { eventStoreSelectionFromEnv, type EventStoreSelection } from '@baton/event-store';

/** Everything the agent-registry reads from its environment, read once at start-up. */
export interface AgentRegistryConfig {
  /** PostgreSQL holding the event store and the `agent_registry` read models. */
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** HTTP port of `/health/live` and `/health/ready`; 0 picks a free port. */
  readonly httpPort: number;
  /** An agent with no heartbeat for this long is marked offline (`HEARTBEAT_WINDOW_MS`). */
  readonly heartbeatWindowMs: number;
  /** agents.yaml to load at start and on reload (`AGENTS_FILE`); none when unset. */
  readonly agentsFile?: string;
  /** Which event store adapter (`BATON_EVENT_STORE`, `EVENTSTORE_URL`); Postgres when unset. */
  readonly eventStore?: EventStoreSelection;
}

export const DEFAULT_HTTP_PORT = 3102;
export const DEFAULT_HEARTBEAT_WINDOW_MS = 30_000;

/** A missing or malformed environment variable; the message names it. Code VALIDATION_FAILED. */
export class ConfigError extends BatonError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('VALIDATION_FAILED', `${variable}: ${message}`, { variable });
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads a variable; blank means unset. */
function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function required(env: Env, name: string, example: string): string {
  const v = optional(env, name);
  if (v === undefined) throw new ConfigError(name, `is required (e.g. ${example})`);
  return v;
}

function url(env: Env, name: string, protocols: readonly string[], example: string): string {
  const v = required(env, name, example);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, `is not a URL (e.g. ${example})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (e.g. ${example}), got ${parsed.protocol}`);
  }
  return v;
}

function natsUrls(env: Env, name: string, example: string): string {
  const v = required(env, name, example);
  for (const part of v.split(',').map((s) => s.trim())) {
    let parsed: URL;
    try {
      parsed = new URL(part);
    } catch {
      throw new ConfigError(name, `"${part}" is not a URL (e.g. ${example})`);
    }
    if (!['nats:', 'tls:', 'ws:', 'wss:'].includes(parsed.protocol)) {
      throw new ConfigError(name, `"${part}" must use nats://, tls://, ws:// or wss:// (e.g. ${example})`);
    }
  }
  return v;
}

/** Integer variables through the shared getter, with its message, as a ConfigError (VALIDATION_FAILED). */
function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  try {
    return envInt(name, fallback, { source: env, min, max });
  } catch (err) {
    throw new ConfigError(name, (err as Error).message.replace(`${name} is invalid: `, ''));
  }
}

function port(env: Env, name: string, fallback: number): number {
  const v = optional(env, name);
  if (v === undefined) return fallback;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new ConfigError(name, `must be a port number 0-65535, got "${v}"`);
  return Number(v);
}

/**
 * Reads and checks the configuration. Throws {@link ConfigError} naming the first bad variable.
 *
 * @example
 * const config = readConfig(process.env);
 */
function eventStoreSelection(env: Env): EventStoreSelection {
  try {
    return eventStoreSelectionFromEnv(env);
  } catch (err) {
    const variable = ((err as BatonError).details as { variable?: string } | undefined)?.variable ?? 'BATON_EVENT_STORE';
    throw new ConfigError(variable, (err as Error).message.replace(`${variable}: `, ''));
  }
}

export function readConfig(env: Env): AgentRegistryConfig {
  return {
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://baton:baton@127.0.0.1:5432/baton'),
    natsUrl: natsUrls(env, 'NATS_URL', 'nats://127.0.0.1:4222'),
    httpPort: port(env, 'HTTP_PORT', DEFAULT_HTTP_PORT),
    heartbeatWindowMs: integer(env, 'HEARTBEAT_WINDOW_MS', DEFAULT_HEARTBEAT_WINDOW_MS, 100, 24 * 3600 * 1000),
    ...(rawEnv('AGENTS_FILE', env) !== undefined ? { agentsFile: rawEnv('AGENTS_FILE', env) as string } : {}),
    eventStore: eventStoreSelection(env),
  };
}
