/**
 * The clock of the escalation service's tests: minutes and hours in ms, and the times of a
 * scenario counted from its start (a task blocked or assigned at T0, say).
 */

export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** When the scenarios of the escalation tests start: 2026-12-01 09:00 UTC. */
export const T0 = new Date('2026-12-01T09:00:00.000Z');

/**
 * The time `ms` after `from` (T0 unless given).
 *
 * @example
 * clock.set(at(31 * MIN)); // 31 min after T0
 */
export const at = (ms: number, from: Date = T0): Date => new Date(from.getTime() + ms);
