import { BatonError, errorCodeOf, type ArtifactInput, type ErrorCode } from '@baton/contracts';

/** What an `onTask` handler may return: the task's outputs, or nothing (no outputs). */
export type TaskOutputs = Readonly<Record<string, unknown>>;

const HANDOFF = Symbol.for('baton.handoff');

/**
 * What a handler hands over with its work: artifacts (stored content-addressed by the
 * handoff-validator; events name them by hash), context, and outputs (reported values such as
 * gate metrics). Artifacts as a map are `name → text`, or `name → object` (sent as JSON).
 */
export interface Handoff {
  readonly artifacts?: readonly ArtifactInput[] | Readonly<Record<string, string | object>>;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly outputs?: TaskOutputs;
}

/** A handler's return value that completes the task with a handoff. Make one with {@link handoff}. */
export interface HandoffResult extends Handoff {
  readonly [HANDOFF]: true;
}

/**
 * Completes a task with a handoff.
 *
 * @example
 * return handoff({ artifacts: { 'prd.md': prd }, context: { priority_level: 'P1', deadline: '2026-12-01', dependencies: [] }, outputs: { prd_completeness: 100 } });
 */
export function handoff(h: Handoff): HandoffResult {
  return { ...h, [HANDOFF]: true };
}

export function isHandoff(value: unknown): value is HandoffResult {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[HANDOFF] === true;
}

/** The artifacts of a handoff in wire form. */
export function artifactsOf(h: Handoff): ArtifactInput[] {
  const a = h.artifacts;
  if (a === undefined) return [];
  if (Array.isArray(a)) return [...(a as readonly ArtifactInput[])];
  return Object.entries(a as Readonly<Record<string, string | object>>).map(([name, v]) =>
    typeof v === 'string' ? { name, content: v, encoding: 'utf8' as const } : { name, content: JSON.stringify(v, null, 2), encoding: 'utf8' as const, mediaType: 'application/json' },
  );
}

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
 * What to do when a report (progress, complete, fail) of a task failed with `err`:
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
