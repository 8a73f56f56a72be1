import { randomUUID } from 'node:crypto';

/** The time source of a service. The composition root passes {@link systemClock}; tests pass their own. */
export interface Clock {
  now(): Date;
}

/** Source of new ids (event ids, lease holder ids). */
export interface IdSource {
  newId(): string;
}

/** The system clock: the only place Baton's services read wall-clock time. */
export const systemClock: Clock = { now: () => new Date() };

/** Random UUIDs (v4) for new event ids and lease holder ids. */
export const randomIds: IdSource = { newId: () => randomUUID() };

/**
 * A clock that moves only when told to, for timer and SLA tests.
 *
 * @example
 * const clock = manualClock('2026-01-01T00:00:00Z');
 * clock.advance(31 * 60_000);
 */
export interface ManualClock extends Clock {
  set(to: Date | string | number): void;
  advance(ms: number): void;
}

export function manualClock(start: Date | string | number = '2026-01-01T00:00:00.000Z'): ManualClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (to) => {
      t = new Date(to).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Ids `prefix-1`, `prefix-2`, … in order: readable, repeatable ids for tests. */
export function sequentialIds(prefix = 'id'): IdSource {
  let n = 0;
  return { newId: () => `${prefix}-${++n}` };
}
