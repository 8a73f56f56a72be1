import { BatonError, categoryOf, comparePositions, type Position, type RecordedEvent } from '@baton/contracts';

/** Which events a projection reads: by stream category and/or event type (both must match when both are set). */
export interface ProjectionFilter {
  readonly categories?: readonly string[];
  readonly eventTypes?: readonly string[];
}

/**
 * True when an event at `position` has not been applied yet by a projection whose
 * checkpoint is `checkpoint` (undefined = nothing applied). Positions at or before the
 * checkpoint are repeats and must be skipped: that is what makes "exactly once" hold when
 * a subscription redelivers after a restart.
 */
export function isAfterCheckpoint(checkpoint: Position | undefined, position: Position): boolean {
  return checkpoint === undefined || comparePositions(position, checkpoint) > 0;
}

/** True when `event` passes `filter` (an absent or empty list matches everything). */
export function matchesFilter(filter: ProjectionFilter | undefined, event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean {
  const cats = filter?.categories;
  const types = filter?.eventTypes;
  if (cats && cats.length > 0 && !cats.includes(categoryOf(event.streamId))) return false;
  if (types && types.length > 0 && !types.includes(event.type)) return false;
  return true;
}

/** Milliseconds between `occurredAt` (ISO-8601) and `now`; undefined when there is no valid time. Never negative. */
export function ageMs(now: Date, occurredAt: string | Date | undefined): number | undefined {
  if (occurredAt === undefined) return undefined;
  const t = occurredAt instanceof Date ? occurredAt.getTime() : Date.parse(occurredAt);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, now.getTime() - t);
}

/**
 * When a stored event happened, as a Date (its `metadata.occurredAt`), for a projection's
 * `updated_at`-style columns. The store validates the time on append, so an invalid one is a
 * bug: INTERNAL, naming the event.
 */
export function occurredAtOf(event: Pick<RecordedEvent, 'eventId' | 'streamId' | 'metadata'>): Date {
  const t = new Date(event.metadata.occurredAt);
  if (Number.isNaN(t.getTime())) {
    throw new BatonError('INTERNAL', `event ${event.eventId} of ${event.streamId} has no valid occurredAt`, { eventId: event.eventId });
  }
  return t;
}

/**
 * The `default` branch of a projection's `switch` on the event type: the `never` parameter
 * fails the build when a new event is not handled, and one that slips through at run time
 * (a stored event of a newer service) is an INTERNAL error naming it.
 *
 * @example
 * default:
 *   return unhandledProjectionEvent('tasks', event);
 */
export function unhandledProjectionEvent(projection: string, event: never): never {
  throw new BatonError('INTERNAL', `${projection} projection does not handle ${String((event as { type: unknown }).type)}`);
}

/** Builds a position from the two nullable bigint columns of a checkpoint row (pg returns int8 as text). */
export function positionFromColumns(commit: string | number | null | undefined, prepare: string | number | null | undefined): Position | undefined {
  if (commit === null || commit === undefined || prepare === null || prepare === undefined) return undefined;
  return { commit: Number(commit), prepare: Number(prepare) };
}

/** The later of two optional positions (undefined when both are). */
export function laterOf(a: Position | undefined, b: Position | undefined): Position | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return comparePositions(a, b) >= 0 ? a : b;
}
