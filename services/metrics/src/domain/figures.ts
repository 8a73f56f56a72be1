import type { MetricFigure, MetricTarget } from '@baton/contracts';

/** A span of time in ms since the epoch; `end` is exclusive. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** Whether `value` meets `target` (null when either is missing). */
export function meets(value: number | null, target: MetricTarget | null): boolean | null {
  if (value === null || target === null) return null;
  switch (target.op) {
    case '<':
      return value < target.value;
    case '<=':
      return value <= target.value;
    case '>':
      return value > target.value;
    case '>=':
      return value >= target.value;
  }
}

/** A figure beside its target. */
export function figure(value: number | null, unit: MetricFigure['unit'], target: MetricTarget | null = null): MetricFigure {
  return { value, unit, target, met: meets(value, target) };
}

/** `part / whole × 100`, or null when there is nothing to divide by. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? (part / whole) * 100 : null;
}

/** The mean, or null for no values. */
export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The nearest-rank quantile `q` (0..1) of `values`, or null for none. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * How long at least `k` of `intervals` were open at once, clipped to `window`: a sweep over the
 * start and end points.
 */
export function timeWithAtLeast(intervals: readonly Interval[], k: number, window: Interval): number {
  const points: [number, number][] = [];
  for (const i of intervals) {
    const start = Math.max(i.start, window.start);
    const end = Math.min(i.end, window.end);
    if (end > start) points.push([start, 1], [end, -1]);
  }
  // Ends before starts at the same instant: back-to-back tasks do not overlap.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let since = 0;
  let total = 0;
  for (const [at, delta] of points) {
    if (open >= k) total += at - since;
    open += delta;
    since = at;
  }
  return total;
}

/**
 * Parallel efficiency of a run (the share of the time its tasks were worked on during which two
 * or more were): null when no task was worked on.
 */
export function parallelEfficiency(tasks: readonly Interval[], window: Interval): number | null {
  return percent(timeWithAtLeast(tasks, 2, window), timeWithAtLeast(tasks, 1, window));
}

/** Agent idle time of a run: the share of the run's time in which no agent worked on any of its tasks. */
export function agentIdleTime(tasks: readonly Interval[], window: Interval): number | null {
  const span = window.end - window.start;
  return span > 0 ? ((span - timeWithAtLeast(tasks, 1, window)) / span) * 100 : null;
}
