import { estimateEta, remainingInPastRun, type PastStage } from './eta';

const stage = (stageId: string, start: number, end: number, durationMs = end - start): PastStage => ({ stageId, durationMs, spans: [{ start, end }] });

// A past run: design 0..10, then backend 10..40 and frontend 10..30 in parallel, then testing 40..50.
const pastA = [stage('design', 0, 10), stage('backend', 10, 40), stage('frontend', 10, 30), stage('testing', 40, 50)];
// A slower one: backend 10..70, frontend 10..20, testing 70..100.
const pastB = [stage('design', 0, 10), stage('backend', 10, 70), stage('frontend', 10, 20), stage('testing', 70, 100)];

describe('ETA', () => {
  it('is honest without history', () => {
    expect(estimateEta([], { finished: new Set(), running: new Map() })).toEqual({ status: 'no_history' });
  });

  it('counts parallel branches by their longest and sequential stages one after another', () => {
    expect(remainingInPastRun(pastA, { finished: new Set(['design']), running: new Map() })).toEqual({ ms: 30 + 10, stages: ['backend', 'frontend', 'testing'] });
  });

  it('does not take a loop for parallel branches: iterations that alternate are sequential', () => {
    // build 10..30 and 35..45, review 30..35 and 45..50 (sent back once).
    const looped: PastStage[] = [
      { stageId: 'build', durationMs: 30, spans: [{ start: 10, end: 30 }, { start: 35, end: 45 }] },
      { stageId: 'review', durationMs: 10, spans: [{ start: 30, end: 35 }, { start: 45, end: 50 }] },
    ];
    expect(remainingInPastRun(looped, { finished: new Set(), running: new Map([['build', 5]]) }).ms).toBe(25 + 10);
  });

  it('takes off what running stages have already run, never below zero', () => {
    const progress = { finished: new Set(['design']), running: new Map([['backend', 25], ['frontend', 25]]) };
    // Backend had 30 to go and has run 25: 5 left; frontend (20) is over its past time: 0; then testing 10.
    expect(remainingInPastRun(pastA, progress).ms).toBe(5 + 10);
  });

  it('gives the 50 % and 95 % figures over past runs of the version', () => {
    const eta = estimateEta([pastA, pastB], { finished: new Set(['design']), running: new Map() });
    expect(eta).toEqual({ status: 'estimated', basedOnRuns: 2, remainingStages: ['backend', 'frontend', 'testing'], p50Ms: 40, p95Ms: 90 });
  });
});
