/**
 * The targets of issue 9, judged on one run's figures: Baton against the peers measured in the
 * same run, and against absolute limits. A target whose figures are missing (its part was not
 * run, or was cut) is `met: false` with `missing` saying why, never silently passed.
 */
import { round } from './support';

export interface Target {
  readonly target: string;
  readonly value: number | null;
  /** The bound `value` is held to (for ratios: the ratio's bound). */
  readonly limit: number | null;
  /** value / reference, when the target is relative to a peer or another figure. */
  readonly ratio?: number | null;
  readonly reference?: number | null;
  readonly met: boolean;
  readonly missing?: string;
}

const num = (v: number | undefined | null): v is number => typeof v === 'number' && Number.isFinite(v);

function atMost(target: string, value: number | undefined | null, limit: number, missing: string): Target {
  if (!num(value)) return { target, value: null, limit, met: false, missing };
  return { target, value: round(value), limit, met: value <= limit };
}
function ratioTarget(target: string, value: number | undefined | null, reference: number | undefined | null, bound: number, kind: 'atLeast' | 'atMost', missing: string): Target {
  if (!num(value) || !num(reference) || reference === 0) return { target, value: num(value) ? value : null, reference: num(reference) ? reference : null, ratio: null, limit: bound, met: false, missing };
  const ratio = round(value / reference, 3);
  return { target, value: round(value), reference: round(reference), ratio, limit: bound, met: kind === 'atLeast' ? ratio >= bound : ratio <= bound };
}

/** Measured runs of one workflow: how many, how many succeeded, start → end p50 of those. */
export interface WorkflowRuns {
  readonly runs: number;
  readonly succeeded: number;
  readonly p50Ms?: number;
}

export interface TargetInputs {
  readonly baton?: {
    readonly drainEndToEndPerSec?: number;
    readonly drainFinished?: boolean;
    readonly idleP50Ms?: number;
    readonly idleP99Ms?: number;
    readonly sustained1000?: { readonly seconds: number; readonly saturated: boolean; readonly missed: number; readonly p99Ms?: number };
    readonly messagesPerLifecycle?: number;
    readonly cpuMsPerLifecycle?: number;
    /** The scheduler's RSS after the drain, once quiet long enough to give memory back. */
    readonly schedulerSettledRssMb?: number;
  };
  readonly graphileWorker?: { readonly endToEndJobsPerSec?: number; readonly idleP50Ms?: number; readonly idleP99Ms?: number };
  readonly workflows?: {
    readonly activeRunsSmall?: { readonly runs: number; readonly p99Ms?: number; readonly misses: number };
    readonly activeRunsLarge?: { readonly runs: number; readonly requested: number; readonly p99Ms?: number; readonly misses: number };
    readonly featureDevelopment?: WorkflowRuns;
    readonly threeSteps?: WorkflowRuns;
  };
  /** Rate-phase length asked for (the 1,000/s target needs 30 s). */
  readonly rateSecondsWanted: number;
}

function workflowTarget(target: string, r: WorkflowRuns | undefined, limit: number, notRun: string): Target {
  if (r === undefined) return { target, value: null, limit, met: false, missing: notRun };
  if (r.runs === 0) return { target, value: null, limit, met: false, missing: 'no run measured within the time left' };
  const t = atMost(target, r.p50Ms, limit, 'no run succeeded');
  return r.succeeded < r.runs ? { ...t, met: false, missing: `${r.runs - r.succeeded} of ${r.runs} runs did not succeed` } : t;
}

export function judgeTargets(x: TargetInputs): Record<string, Target> {
  const b = x.baton;
  const g = x.graphileWorker;
  const w = x.workflows;
  const noBaton = 'the Baton dispatch part did not run';
  const noGw = 'graphile-worker was not measured in this run';
  const noWf = 'the workflow part did not run';
  const drain = ratioTarget('full lifecycles/s draining N tasks (one agent process) >= 0.25x graphile-worker end-to-end jobs/s', b?.drainEndToEndPerSec, g?.endToEndJobsPerSec, 0.25, 'atLeast', b ? noGw : noBaton);
  const s = b?.sustained1000;
  const sustainedMet = s !== undefined && s.seconds >= 30 && !s.saturated && s.missed === 0 && num(s.p99Ms) && s.p99Ms <= 50;
  const small = w?.activeRunsSmall;
  const large = w?.activeRunsLarge;
  const scaling = ratioTarget('dispatch p99 with 10,000 active runs waiting on a stage <= 2x the p99 with 100', large?.p99Ms, small?.p99Ms, 2, 'atMost', w ? 'no probe task measured at one of the two levels (time ran out)' : noWf);
  return {
    drainVsGraphileWorker: b?.drainFinished === false ? { ...drain, met: false, missing: 'the drain did not finish within the budget' } : drain,
    idleP50VsGraphileWorker: ratioTarget('idle submit -> handler start p50 <= 1.0x graphile-worker p50', b?.idleP50Ms, g?.idleP50Ms, 1.0, 'atMost', b ? noGw : noBaton),
    idleP99VsGraphileWorker: ratioTarget('idle submit -> handler start p99 <= 1.5x graphile-worker p99', b?.idleP99Ms, g?.idleP99Ms, 1.5, 'atMost', b ? noGw : noBaton),
    sustained1000PerSec: {
      target: '1,000 tasks/s offered for 30 s without saturation, submit -> handler p99 <= 50 ms',
      value: num(s?.p99Ms) ? s.p99Ms : null,
      limit: 50,
      met: sustainedMet,
      ...(s === undefined
        ? { missing: b ? 'no 1000/s rate phase in --rates' : noBaton }
        : s.seconds < 30
          ? { missing: `rate phase ran ${s.seconds} s (--rate-seconds 30 for the target; asked ${x.rateSecondsWanted})` }
          : s.saturated || s.missed > 0
            ? { missing: [s.saturated ? 'saturated: more than 150 tasks waited for a handler, load stopped early' : '', s.missed > 0 ? `${s.missed} tasks reached no handler within 10 s` : ''].filter(Boolean).join('; ') }
            : {}),
    },
    natsMessagesPerLifecycle: atMost('<= 8 NATS messages per lifecycle, acknowledgements included (wire tap)', b?.messagesPerLifecycle, 8, noBaton),
    cpuMsPerLifecycle: atMost('<= 1.5 ms CPU per lifecycle summed over scheduler, Postgres backends and nats-server', b?.cpuMsPerLifecycle, 1.5, noBaton),
    activeRunsScaling:
      small && large && small.misses + large.misses > 0
        ? { ...scaling, met: false, missing: `${small.misses + large.misses} probe tasks reached no handler within 10 s` }
        : large && large.runs < large.requested ? { ...scaling, met: false, missing: `only ${large.runs} of ${large.requested} runs were started within the budget` } : large && large.runs < 10_000 ? { ...scaling, met: false, missing: `measured at ${large.runs} active runs (--active-runs 10000 for the target)` } : scaling,
    featureDevelopmentOverhead: workflowTarget('Feature Development with agents answering at once ends <= 100 ms after it starts (p50 of runs)', w ? (w.featureDevelopment ?? { runs: 0, succeeded: 0 }) : undefined, 100, noWf),
    threeStepOverhead: workflowTarget('3-step sequential workflow ends <= 25 ms after it starts (p50 of runs)', w ? (w.threeSteps ?? { runs: 0, succeeded: 0 }) : undefined, 25, noWf),
    schedulerRss: { ...atMost('scheduler RSS after the drain, once quiet < 150 MB', b?.schedulerSettledRssMb, 150, noBaton), met: num(b?.schedulerSettledRssMb) && b.schedulerSettledRssMb < 150 },
  };
}
