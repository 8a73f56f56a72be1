import { BatonError, errorCodeOf, type ErrorCode } from '@baton/contracts';

/** What an `onTask` handler may return: the task's outputs, or nothing (no outputs). */
export type TaskOutputs = Readonly<Record<string, unknown>>;

/**
 * The outputs of a handler's return value: `undefined` or `null` → `{}`, a plain object → itself.
 * Anything else (an array, a string …) is a handler bug: VALIDATION_FAILED.
 */
export function outputsOf(value: unknown): TaskOutputs {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as TaskOutputs;
  throw new BatonError('VALIDATION_FAILED', `an onTask handler must return an object of outputs (or nothing), got ${Array.isArray(value) ? 'an array' : typeof value}`);
}

/** How the handling of one assignment ends when a report is refused. */
export type Settlement = 'lost' | 'rejected' | 'deferred';

/**
 * What to do when a report (accept, progress, complete, fail) of a task failed with `err`:
 * - `lost` (STALE_LEASE): another agent holds the task now; stop quietly and drop the assignment;
 * - `rejected` (ILLEGAL_TRANSITION, NOT_FOUND, FORBIDDEN, VALIDATION_FAILED): the task cannot be
 *   worked any more (cancelled, finished) or never can; drop the assignment;
 * - `deferred` (anything else: no scheduler, time-outs, a closed connection): leave the assignment
 *   unacknowledged so it is delivered again.
 */
export function settlementOf(err: unknown): { readonly settlement: Settlement; readonly code: ErrorCode } {
  const code = errorCodeOf(err) ?? 'INTERNAL';
  if (code === 'STALE_LEASE') return { settlement: 'lost', code };
  if (code === 'ILLEGAL_TRANSITION' || code === 'NOT_FOUND' || code === 'FORBIDDEN' || code === 'VALIDATION_FAILED') return { settlement: 'rejected', code };
  return { settlement: 'deferred', code };
}
