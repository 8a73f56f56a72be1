import { judgeTargets, type TargetInputs } from './targets';

const baton: NonNullable<TargetInputs['baton']> = {
  drainEndToEndPerSec: 300,
  drainFinished: true,
  idleP50Ms: 2,
  idleP99Ms: 9,
  sustained1000: { seconds: 30, saturated: false, missed: 0, p99Ms: 40 },
  messagesPerLifecycle: 8,
  cpuMsPerLifecycle: 1.5,
  schedulerSettledRssMb: 149,
};
const graphileWorker = { endToEndJobsPerSec: 1000, idleP50Ms: 2, idleP99Ms: 6 };
const workflows: NonNullable<TargetInputs['workflows']> = {
  activeRunsSmall: { runs: 100, p99Ms: 10, misses: 0 },
  activeRunsLarge: { runs: 10_000, requested: 10_000, p99Ms: 20, misses: 0 },
  featureDevelopment: { runs: 20, succeeded: 20, p50Ms: 100 },
  threeSteps: { runs: 20, succeeded: 20, p50Ms: 25 },
};

describe('judgeTargets', () => {
  it('meets every target at its bound, with the ratios against graphile-worker', () => {
    const t = judgeTargets({ baton, graphileWorker, workflows, rateSecondsWanted: 30 });
    expect(Object.entries(t).filter(([, v]) => !v.met)).toEqual([]);
    expect(t.drainVsGraphileWorker).toMatchObject({ value: 300, reference: 1000, ratio: 0.3, limit: 0.25 });
    expect(t.idleP99VsGraphileWorker).toMatchObject({ ratio: 1.5, met: true });
    expect(t.activeRunsScaling).toMatchObject({ ratio: 2, met: true });
    expect(t.schedulerRss).toMatchObject({ target: 'scheduler RSS after the drain, once quiet < 150 MB', value: 149, limit: 150, met: true });
  });

  it('fails a target just past its bound', () => {
    const t = judgeTargets({
      baton: { ...baton, idleP50Ms: 2.01, messagesPerLifecycle: 8.5, schedulerSettledRssMb: 150, drainEndToEndPerSec: 249 },
      graphileWorker,
      workflows: { ...workflows, activeRunsLarge: { runs: 10_000, requested: 10_000, p99Ms: 20.1, misses: 0 }, threeSteps: { runs: 20, succeeded: 20, p50Ms: 25.5 } },
      rateSecondsWanted: 30,
    });
    for (const k of ['idleP50VsGraphileWorker', 'natsMessagesPerLifecycle', 'schedulerRss', 'drainVsGraphileWorker', 'activeRunsScaling', 'threeStepOverhead']) expect([k, t[k]!.met]).toEqual([k, false]);
    expect(t.cpuMsPerLifecycle!.met).toBe(true);
  });

  it('never passes a target whose figures are missing or measured at reduced sizes, and says why', () => {
    const t = judgeTargets({
      baton: { ...baton, drainFinished: false, sustained1000: { seconds: 5, saturated: false, missed: 0, p99Ms: 10 } },
      workflows: { ...workflows, activeRunsLarge: { runs: 1000, requested: 1000, p99Ms: 10, misses: 0 }, featureDevelopment: { runs: 5, succeeded: 4, p50Ms: 90 }, threeSteps: { runs: 0, succeeded: 0 } },
      rateSecondsWanted: 5,
    });
    expect(t.idleP50VsGraphileWorker).toMatchObject({ met: false, missing: 'graphile-worker was not measured in this run', ratio: null });
    expect(t.drainVsGraphileWorker).toMatchObject({ met: false, missing: 'the drain did not finish within the budget' });
    expect(t.sustained1000PerSec!.missing).toMatch(/ran 5 s/);
    expect(t.activeRunsScaling!.missing).toMatch(/measured at 1000 active runs/);
    expect(t.featureDevelopmentOverhead).toMatchObject({ met: false, value: 90, missing: '1 of 5 runs did not succeed' });
    expect(t.threeStepOverhead).toMatchObject({ met: false, value: null, missing: 'no run measured within the time left' });
    const none = judgeTargets({ rateSecondsWanted: 30 });
    expect(Object.values(none).every((v) => !v.met && typeof v.missing === 'string')).toBe(true);
  });

  it('counts a saturated rate phase or missed probes against the target', () => {
    const t = judgeTargets({
      baton: { ...baton, sustained1000: { seconds: 30, saturated: true, missed: 12, p99Ms: 30 } },
      graphileWorker,
      workflows: { ...workflows, activeRunsSmall: { runs: 100, p99Ms: 10, misses: 1 } },
      rateSecondsWanted: 30,
    });
    expect(t.sustained1000PerSec).toMatchObject({ met: false, missing: 'saturated: more than 150 tasks waited for a handler, load stopped early; 12 tasks reached no handler within 10 s' });
    const missedOnly = judgeTargets({ baton: { ...baton, sustained1000: { seconds: 30, saturated: false, missed: 2, p99Ms: 30 } }, rateSecondsWanted: 30 });
    expect(missedOnly.sustained1000PerSec).toMatchObject({ met: false, missing: '2 tasks reached no handler within 10 s' });
    expect(t.activeRunsScaling).toMatchObject({ met: false, missing: '1 probe tasks reached no handler within 10 s' });
  });
});
