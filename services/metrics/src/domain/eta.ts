import { quantile, type Interval } from './figures';

/** One stage of a finished run as history remembers it: its iterations' time summed, and the span they covered. */
export interface PastStage {
  readonly stageId: string;
  readonly durationMs: number;
  readonly span: Interval;
}

/** Where a running run stands. */
export interface RunProgress {
  /** Stages that finished (completed, failed over, skipped) and will not run again as far as is known. */
  readonly finished: ReadonlySet<string>;
  /** Stages running now, with how long they have run. */
  readonly running: ReadonlyMap<string, number>;
}

/** The estimate of the time left: quantiles over past runs, or none without history. */
export type Eta =
  | { readonly status: 'no_history' }
  | { readonly status: 'estimated'; readonly basedOnRuns: number; readonly remainingStages: readonly string[]; readonly p50Ms: number; readonly p95Ms: number };

/**
 * The time one past run took for the stages `progress` has not finished: a running stage counts
 * what it took then minus what it has run now (never below 0); stages whose spans overlapped in
 * the past run were parallel branches and count by their longest.
 */
export function remainingInPastRun(past: readonly PastStage[], progress: RunProgress): { readonly ms: number; readonly stages: readonly string[] } {
  const left = past
    .filter((s) => !progress.finished.has(s.stageId))
    .map((s) => ({ ...s, leftMs: Math.max(0, s.durationMs - (progress.running.get(s.stageId) ?? 0)) }))
    .sort((a, b) => a.span.start - b.span.start);
  let ms = 0;
  let groupEnd = -Infinity;
  let groupLongest = 0;
  for (const s of left) {
    if (s.span.start < groupEnd) {
      groupLongest = Math.max(groupLongest, s.leftMs);
      groupEnd = Math.max(groupEnd, s.span.end);
    } else {
      ms += groupLongest;
      groupLongest = s.leftMs;
      groupEnd = s.span.end;
    }
  }
  return { ms: ms + groupLongest, stages: left.map((s) => s.stageId) };
}

/**
 * The ETA of a running run from finished runs of the same workflow version: the time left in
 * each past run ({@link remainingInPastRun}), and its 50 % and 95 % quantiles (nearest rank).
 * Without a finished run there is no estimate: `no_history`.
 */
export function estimateEta(history: readonly (readonly PastStage[])[], progress: RunProgress): Eta {
  if (history.length === 0) return { status: 'no_history' };
  const left = history.map((past) => remainingInPastRun(past, progress));
  const stages = [...new Set(left.flatMap((l) => l.stages))];
  const ms = left.map((l) => l.ms);
  return { status: 'estimated', basedOnRuns: history.length, remainingStages: stages, p50Ms: Math.round(quantile(ms, 0.5)!), p95Ms: Math.round(quantile(ms, 0.95)!) };
}
