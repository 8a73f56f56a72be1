import type { Actor, EscalationLadder, EscalationResolution } from '@baton/contracts';
import type { Queryable } from '@baton/messaging';
import {
  closeWatchRow,
  deleteTimer,
  IMMEDIATELY,
  insertTimerOnce,
  insertWatch,
  ladderOverridesOfRun,
  markWatchArmed,
  openWatches,
  raiseTimerId,
  resolveTimerId,
  upsertTimer,
  type NewWatch,
  type WatchFilter,
} from '../read-model/watch.queries';
import { withOverrides, type RaisePlan } from '../domain';

/** The escalation service acting on its own (automatic raises and resolutions). */
export const SERVICE_ACTOR: Actor = Object.freeze({ kind: 'service', id: 'escalation' });

/** How a watch ends: the resolution its escalation gets if it was raised. */
export interface Closing {
  readonly resolution: EscalationResolution;
  readonly reason: string;
  readonly by: Actor;
}

/** What a resolve timer carries. */
export interface ResolvePayload extends Closing {
  readonly escalationId: string;
}

/** Where a watch belongs (what ends it). */
export type WatchRefs = Pick<NewWatch, 'taskId' | 'runId' | 'stageId' | 'iteration' | 'conflictId'>;

export const NO_REFS: WatchRefs = { taskId: null, runId: null, stageId: null, iteration: null, conflictId: null };

/**
 * Opens a watch for `plan` and, when `dueAt` is given, arms its raise timer. Returns false
 * (and changes nothing) when the escalation id was watched before: a repeated trigger.
 */
export async function openWatch(q: Queryable, plan: RaisePlan, refs: WatchRefs, dueAt: Date | undefined, at: Date): Promise<boolean> {
  const opened = await insertWatch(q, { escalationId: plan.escalationId, trigger: plan.trigger, ...refs, plan, openedAt: at });
  if (opened && dueAt !== undefined) await armWatch(q, plan.escalationId, dueAt);
  return opened;
}

/** Arms (or moves) the raise timer of a watch. */
export async function armWatch(q: Queryable, escalationId: string, dueAt: Date): Promise<void> {
  await upsertTimer(q, { timerId: raiseTimerId(escalationId), kind: 'raise', escalationId, dueAt, payload: {} });
  await markWatchArmed(q, escalationId);
}

/**
 * Ends a watch: its raise timer is disarmed, and if one was ever armed a resolve timer is set,
 * which resolves the escalation if it was raised (and does nothing if not). Closing a watch
 * that is closed already does nothing.
 */
export async function closeWatch(q: Queryable, escalationId: string, closing: Closing, at: Date): Promise<void> {
  const closed = await closeWatchRow(q, escalationId, at);
  if (!closed?.armed) return;
  await deleteTimer(q, raiseTimerId(escalationId));
  const payload: ResolvePayload = { escalationId, ...closing };
  await insertTimerOnce(q, { timerId: resolveTimerId(escalationId), kind: 'resolve', escalationId, dueAt: IMMEDIATELY, payload });
}

/** Ends every open watch matching `filter`. */
export async function closeWatches(q: Queryable, filter: WatchFilter, closing: Closing, at: Date): Promise<void> {
  for (const w of await openWatches(q, filter)) await closeWatch(q, w.escalation_id, closing, at);
}

/** The ladder of a run: the service's, with the `escalation:` overrides of its workflow (ignored when they do not climb). */
export async function ladderOfRun(q: Queryable, runId: string | null, defaults: EscalationLadder): Promise<EscalationLadder> {
  if (runId === null) return defaults;
  const overrides = await ladderOverridesOfRun(q, runId);
  if (overrides === undefined) return defaults;
  try {
    return withOverrides(defaults, overrides);
  } catch {
    return defaults;
  }
}
