import type { AgentStatus, AgentWorkState } from '@baton/contracts';

/**
 * An agent counts as `error` when its last this-many tasks in a row failed (a completion
 * resets the count). Three: one failure can be the task's fault, three in a row rarely are.
 */
export const CONSECUTIVE_FAILURES_FOR_ERROR = 3;

export interface StatusInputs {
  readonly online: boolean;
  readonly state: AgentWorkState;
  readonly consecutiveFailures: number;
  readonly activeTasks: number;
  readonly maxConcurrency: number;
}

/**
 * The availability the registry reports, first match wins: `offline` when its heartbeat
 * stopped; `error` when it reported ERROR or its last {@link CONSECUTIVE_FAILURES_FOR_ERROR}
 * tasks failed; `busy` when its active tasks reach its max concurrency; else `available`.
 */
export function deriveStatus(i: StatusInputs): AgentStatus {
  if (!i.online) return 'offline';
  if (i.state === 'ERROR' || i.consecutiveFailures >= CONSECUTIVE_FAILURES_FOR_ERROR) return 'error';
  if (i.activeTasks >= i.maxConcurrency) return 'busy';
  return 'available';
}
