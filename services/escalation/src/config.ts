import { BatonError, type EscalationLadder } from '@baton/contracts';
import { eventStoreSelectionFromEnv, type EventStoreSelection } from '@baton/event-store';
import { envInt, LOCAL_DATABASE_URL, LOCAL_NATS_URL } from '@baton/telemetry';
import { DEFAULT_LADDER, withOverrides } from './domain';

/** Everything the escalation service reads from its environment, read once at start-up. */
export interface EscalationConfig {
  /** PostgreSQL holding the event store and the `baton_escalation` schema (`DATABASE_URL`). */
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** HTTP port of `/health/live`, `/health/ready` and `/metrics`; 0 picks a free port. */
  readonly httpPort: number;
  /** The ladder when a workflow sets none (`ESCALATION_L1_AFTER_MS`, …). */
  readonly ladder: EscalationLadder;
  /** How often due timers are looked for (`ESCALATION_POLL_MS`). */
  readonly pollIntervalMs: number;
  /** How long to wait for the agent registry to name peers and leads (`ESCALATION_REGISTRY_TIMEOUT_MS`). */
  readonly registryTimeoutMs: number;
  /** How long to wait for the scheduler to approve or reject a stage (`ESCALATION_SCHEDULER_TIMEOUT_MS`). */
  readonly schedulerTimeoutMs: number;
  /** Which event store adapter (`BATON_EVENT_STORE`, `EVENTSTORE_URL`); Postgres when unset. */
  readonly eventStore?: EventStoreSelection;
}

export const DEFAULT_HTTP_PORT = 3104;
export const DEFAULT_POLL_MS = 1000;

/** Environment variable of each ladder threshold. */
export const LADDER_VARIABLES: Readonly<Record<keyof EscalationLadder, string>> = {
  l1AfterMs: 'ESCALATION_L1_AFTER_MS',
  l2AfterMs: 'ESCALATION_L2_AFTER_MS',
  l3AfterMs: 'ESCALATION_L3_AFTER_MS',
  stallAfterMs: 'ESCALATION_STALL_AFTER_MS',
  conflictEscalateMs: 'ESCALATION_CONFLICT_AFTER_MS',
};

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

function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function url(env: Env, name: string, protocols: readonly string[], fallback: string): string {
  const v = optional(env, name) ?? fallback;
  for (const part of v.split(',').map((s) => s.trim())) {
    let parsed: URL;
    try {
      parsed = new URL(part);
    } catch {
      // Never echoed: connection strings carry passwords.
      throw new ConfigError(name, `is not a URL (e.g. ${fallback})`);
    }
    if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')} (e.g. ${fallback}), got ${parsed.protocol}`);
  }
  return v;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  try {
    return envInt(name, fallback, { source: env, min, max });
  } catch (err) {
    throw new ConfigError(name, (err as Error).message.replace(`${name} is invalid: `, ''));
  }
}

function ladderOf(env: Env): EscalationLadder {
  const WEEK = 7 * 24 * 3_600_000;
  const overrides: { -readonly [K in keyof EscalationLadder]?: number } = {};
  for (const [key, variable] of Object.entries(LADDER_VARIABLES) as [keyof EscalationLadder, string][]) {
    if (optional(env, variable) !== undefined) overrides[key] = integer(env, variable, DEFAULT_LADDER[key], 1, WEEK);
  }
  try {
    return withOverrides(DEFAULT_LADDER, overrides);
  } catch (err) {
    throw new ConfigError('ESCALATION_L1_AFTER_MS', (err as Error).message);
  }
}

function eventStoreSelection(env: Env): EventStoreSelection {
  try {
    return eventStoreSelectionFromEnv(env);
  } catch (err) {
    const variable = ((err as BatonError).details as { variable?: string } | undefined)?.variable ?? 'BATON_EVENT_STORE';
    throw new ConfigError(variable, (err as Error).message.replace(`${variable}: `, ''));
  }
}

/**
 * Reads and checks the configuration. Throws {@link ConfigError} naming the first bad variable.
 *
 * @example
 * const config = readConfig(process.env);
 */
export function readConfig(env: Env): EscalationConfig {
  return {
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], LOCAL_DATABASE_URL),
    natsUrl: url(env, 'NATS_URL', ['nats:', 'tls:', 'ws:', 'wss:'], LOCAL_NATS_URL),
    httpPort: integer(env, 'HTTP_PORT', DEFAULT_HTTP_PORT, 0, 65535),
    ladder: ladderOf(env),
    pollIntervalMs: integer(env, 'ESCALATION_POLL_MS', DEFAULT_POLL_MS, 10, 3_600_000),
    registryTimeoutMs: integer(env, 'ESCALATION_REGISTRY_TIMEOUT_MS', 2000, 10, 60_000),
    schedulerTimeoutMs: integer(env, 'ESCALATION_SCHEDULER_TIMEOUT_MS', 5000, 10, 60_000),
    eventStore: eventStoreSelection(env),
  };
}
