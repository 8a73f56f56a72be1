import { BatonError, type EscalationLadder } from '@baton/contracts';
import { readServiceEnv, type ServiceEnv } from '@baton/messaging';
import { envInt, rawEnv, type EnvSource } from '@baton/telemetry';
import { DEFAULT_POLL_MS } from './app/escalation.timers';
import { DEFAULT_LADDER, withOverrides } from './domain';

/** Everything the escalation service reads from its environment, read once at start-up. */
export interface EscalationConfig extends ServiceEnv {
  /** The ladder when a workflow sets none (`ESCALATION_L1_AFTER_MS`, …). */
  readonly ladder: EscalationLadder;
  /** How often due timers are looked for (`ESCALATION_POLL_MS`). */
  readonly pollIntervalMs: number;
  /** How long to wait for the agent registry to name peers and leads (`ESCALATION_REGISTRY_TIMEOUT_MS`). */
  readonly registryTimeoutMs: number;
  /** How long to wait for the scheduler to approve or reject a stage (`ESCALATION_SCHEDULER_TIMEOUT_MS`). */
  readonly schedulerTimeoutMs: number;
}

export const DEFAULT_HTTP_PORT = 3104;

/** Environment variable of each ladder threshold. */
export const LADDER_VARIABLES: Readonly<Record<keyof EscalationLadder, string>> = {
  l1AfterMs: 'ESCALATION_L1_AFTER_MS',
  l2AfterMs: 'ESCALATION_L2_AFTER_MS',
  l3AfterMs: 'ESCALATION_L3_AFTER_MS',
  stallAfterMs: 'ESCALATION_STALL_AFTER_MS',
  conflictEscalateMs: 'ESCALATION_CONFLICT_AFTER_MS',
};

function ladderOf(source: EnvSource): EscalationLadder {
  const WEEK = 7 * 24 * 3_600_000;
  const overrides: { -readonly [K in keyof EscalationLadder]?: number } = {};
  for (const [key, variable] of Object.entries(LADDER_VARIABLES) as [keyof EscalationLadder, string][]) {
    if (rawEnv(variable, source) !== undefined) overrides[key] = envInt(variable, DEFAULT_LADDER[key], { source, min: 1, max: WEEK });
  }
  try {
    return withOverrides(DEFAULT_LADDER, overrides);
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `ESCALATION_L1_AFTER_MS … ESCALATION_L3_AFTER_MS are invalid: ${(err as Error).message}`, { variable: 'ESCALATION_L1_AFTER_MS' });
  }
}

/**
 * Reads and checks the configuration with the telemetry env getters (blank means unset; a bad
 * value throws an error naming the variable).
 *
 * @example
 * const config = readEscalationConfig(); // from process.env
 */
export function readEscalationConfig(source: EnvSource = process.env): EscalationConfig {
  const opts = { source };
  return {
    ...readServiceEnv(DEFAULT_HTTP_PORT, source),
    ladder: ladderOf(source),
    pollIntervalMs: envInt('ESCALATION_POLL_MS', DEFAULT_POLL_MS, { ...opts, min: 10, max: 3_600_000 }),
    registryTimeoutMs: envInt('ESCALATION_REGISTRY_TIMEOUT_MS', 2000, { ...opts, min: 10, max: 60_000 }),
    schedulerTimeoutMs: envInt('ESCALATION_SCHEDULER_TIMEOUT_MS', 5000, { ...opts, min: 10, max: 60_000 }),
  };
}
