import type { RetryPolicy, StageDefinition, WorkflowDefinition } from './workflow.model';

/** Defaults for a `retry:` block that leaves fields out. */
export const RETRY_DEFAULTS = {
  backoff: 'fixed',
  initialDelayMs: 1_000,
  maxDelayMs: 300_000,
  jitter: 'none',
} as const satisfies Omit<RetryPolicy, 'maxAttempts'>;

/**
 * Milliseconds to wait before the attempt after `attempt` (1-based: pass 1 after the first try
 * failed). `fixed`: d; `linear`: d·attempt; `exponential`: d·2^(attempt-1); capped at `maxDelayMs`.
 * Deterministic: jitter applies only when the policy asks for it *and* the caller injects `random`
 * (a function returning [0, 1)), so tests and replays stay reproducible.
 *
 * @example retryDelayMs({ maxAttempts: 5, backoff: 'exponential', initialDelayMs: 1000, maxDelayMs: 10_000, jitter: 'none' }, 3) // 4000
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random?: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  let delay: number;
  switch (policy.backoff) {
    case 'fixed':
      delay = policy.initialDelayMs;
      break;
    case 'linear':
      delay = policy.initialDelayMs * attempt;
      break;
    case 'exponential':
      delay = policy.initialDelayMs * 2 ** (attempt - 1);
      break;
    default: {
      const unreachable: never = policy.backoff;
      return unreachable;
    }
  }
  delay = Math.min(delay, policy.maxDelayMs);
  if (policy.jitter === 'full' && random !== undefined) delay = Math.floor(random() * delay);
  return delay;
}

/** Whether another attempt is allowed after `attempt` failed. */
export function canRetry(policy: RetryPolicy | null, attempt: number): boolean {
  return policy !== null && attempt < policy.maxAttempts;
}

/** The retry policy in force for a stage: its own, else the workflow's `error_handling.retry`, else none. */
export function effectiveRetry(def: WorkflowDefinition, stage: StageDefinition): RetryPolicy | null {
  return stage.retry ?? def.errorHandling.retry;
}
