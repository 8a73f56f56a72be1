import { quantile, type Interval } from './figures';

/** One stage of a finished run as history remembers it: its iterations' time summed, and when each ran. */
export interface PastStage {
  readonly stageId: string;
  readonly durationMs: number;
  /** One span per iteration (a loop runs a stage more than once). */
  readonly spans: readonly Interval[];
}

const overlap = (a: PastStage, b: PastStage): boolean => a.spans.some((x) => b.spans.some((y) => x.start < y.end && y.start < x.end));
const firstStart = (s: PastStage): number => Math.min(...s.spans.map((x) => x.start));

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
 * what it took then minus what it has run now (never below 0); stages that ran at the same time
 * in the past run (an iteration of one overlapping an iteration of the other) were parallel
 * branches and count by their longest.
 */
export function remainingInPastRun(past: readonly PastStage[], progress: RunProgress): { readonly ms: number; readonly stages: readonly string[] } {
  const left = past
    .filter((s) => !progress.finished.has(s.stageId))
    .map((s) => ({ ...s, leftMs: Math.max(0, s.durationMs - (progress.running.get(s.stageId) ?? 0)) }))
    .sort((a, b) => firstStart(a) - firstStart(b));
  let ms = 0;
  let group: (PastStage & { leftMs: number })[] = [];
  let groupLongest = 0;
  for (const s of left) {
    if (group.some((g) => overlap(g, s))) {
      group.push(s);
      groupLongest = Math.max(groupLongest, s.leftMs);
    } else {
      ms += groupLongest;
      group = [s];
      groupLongest = s.leftMs;
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
