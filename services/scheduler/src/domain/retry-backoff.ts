import type { RetryBackoff } from '@baton/contracts';

/**
 * Milliseconds to wait before the attempt after `failedAttempt` (1-based): linear
 * `baseMs * n`, exponential `baseMs * 2^(n-1)`, never more than `maxMs`.
 *
 * @example retryDelayMs({ kind: 'exponential', baseMs: 1000, maxMs: 60000 }, 3) // 4000
 */
export function retryDelayMs(policy: RetryBackoff, failedAttempt: number): number {
  const n = Math.max(1, Math.floor(failedAttempt));
  const raw = policy.kind === 'linear' ? policy.baseMs * n : policy.baseMs * 2 ** Math.min(n - 1, 52);
  return Math.min(raw, policy.maxMs);
}
