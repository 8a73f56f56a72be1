import {
  ansi,
  conflictHandling,
  formatAge,
  formatAgentHealth,
  formatAgents,
  formatAgentsHealth,
  formatConflicts,
  formatDuration,
  formatRunResult,
  formatRuns,
  formatTasks,
  formatTime,
  formatWorkflows,
  paintFor,
  plain,
  progressLines,
  runIsOver,
  stageRunNumber,
  toneOf,
} from './format';
import { agentView, conflictView, runView, stepView, taskView } from './testing/views';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const ESC = String.fromCharCode(27);

/** Rows of a cli-table3 table as arrays of trimmed cells (border lines dropped). */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
}

describe('durations, ages and times', () => {
  it('formats durations at a readable scale', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(7_380_000)).toBe('2h 03m');
    expect(formatDuration(-1)).toBe('-');
  });

  it('formats heartbeat ages relative to now, and a missing one as never', () => {
    expect(formatAge('2026-11-22T09:59:57.000Z', NOW)).toBe('3s ago');
    expect(formatAge('2026-11-22T09:58:00.000Z', NOW)).toBe('2m ago');
    expect(formatAge('2026-11-22T07:00:00.000Z', NOW)).toBe('3h ago');
    expect(formatAge('2026-11-19T10:00:00.000Z', NOW)).toBe('3d ago');
    expect(formatAge(null, NOW)).toBe('never');
    expect(formatAge('2026-11-22T10:00:05.000Z', NOW)).toBe('0s ago');
  });

  it('formats times as UTC without the T', () => {
    expect(formatTime('2026-11-22T09:08:07.123Z')).toBe('2026-11-22 09:08:07');
    expect(formatTime(null)).toBe('-');
  });
});

describe('colour', () => {
  it('colours only a terminal, and never with NO_COLOR', () => {
    expect(paintFor(true, {})).toBe(ansi);
    expect(paintFor(false, {})).toBe(plain);
    expect(paintFor(true, { NO_COLOR: '1' })).toBe(plain);
    expect(ansi('ok', 'good')).toBe(`${ESC}[32mok${ESC}[39m`);
    expect(plain('ok', 'bad')).toBe('ok');
  });

  it.each(Object.entries({ success: 'good', available: 'good', failure: 'bad', offline: 'bad', running: 'busy', EXECUTING: 'busy', skipped: 'muted' }))('gives the status word %s the tone %s', (word, tone) => {
    expect(toneOf(word)).toBe(tone);
  });

  it('puts no escape codes in plain tables', () => {
    expect(formatAgents([agentView()], NOW)).not.toContain(ESC);
    expect(formatAgents([agentView()], NOW, ansi)).toContain(ESC);
  });
});

describe('tables', () => {
  it('lists agents with status, state, load and heartbeat age', () => {
    const text = formatAgents([agentView(), agentView({ agentId: 'MCT-QA-001', name: null, status: 'offline', state: 'IDLE', load: 0, lastHeartbeatAt: null, model: null })], NOW);
    expect(rows(text)).toEqual([
      ['ID', 'NAME', 'ROLE', 'STATUS', 'STATE', 'LOAD', 'MODEL', 'HEARTBEAT'],
      ['MCT-BE-001', 'Backend Dev Agent', 'backend_dev', 'busy', 'EXECUTING', '1/3', 'sonnet', '3s ago'],
      ['MCT-QA-001', '', 'backend_dev', 'offline', 'IDLE', '0/3', '', 'never'],
    ]);
    expect(formatAgents([], NOW)).toMatch(/^No agents match/);
  });

  it('shows agent health with performance figures', () => {
    expect(rows(formatAgentsHealth([agentView()], NOW))).toEqual([
      ['ID', 'STATUS', 'STATE', 'HEARTBEAT', 'LOAD', 'DONE', 'FAILED', 'ERROR RATE', 'MEAN TIME'],
      ['MCT-BE-001', 'busy', 'EXECUTING', '3s ago', '1/3', '3', '1', '25%', '1.5 s'],
    ]);
    const one = rows(formatAgentHealth(agentView({ performance: { tasksCompleted: 0, tasksFailed: 0, meanCompletionMs: null, errorRate: 0 } }), NOW));
    expect(one).toContainEqual(['Last heartbeat', '3s ago (2026-11-22 09:59:57)']);
    expect(one).toContainEqual(['Load', '1 of 3']);
    expect(one).toContainEqual(['Error rate', '0%']);
    expect(one).toContainEqual(['Mean completion', '-']);
  });

  it('lists workflows, or says how to register some', () => {
    const text = formatWorkflows([
      { workflowId: 'WF-FEAT-001', name: 'Feature Development', version: '1.0.0', versions: ['0.9.0', '1.0.0'], hash: 'h', trigger: 'manual', description: null, registeredAt: '2026-11-22T09:00:00.000Z' },
    ]);
    expect(rows(text)).toEqual([
      ['ID', 'NAME', 'VERSION', 'VERSIONS', 'TRIGGER', 'REGISTERED'],
      ['WF-FEAT-001', 'Feature Development', '1.0.0', '2', 'manual', '2026-11-22 09:00:00'],
    ]);
    expect(formatWorkflows([])).toContain('baton workflows register examples/workflows');
  });

  it('lists runs with their duration so far or in total', () => {
    const text = formatRuns(
      [
        { runId: 'r-2', workflowId: 'WF-FEAT-001', version: '1.0.0', state: 'running', status: 'running', startTime: '2026-11-22T09:59:30.000Z', endTime: null },
        { runId: 'r-1', workflowId: 'WF-BUG-001', version: '1', state: 'failure', status: 'failure', startTime: '2026-11-22T09:00:00.000Z', endTime: '2026-11-22T09:04:05.000Z' },
      ],
      NOW,
    );
    expect(rows(text).slice(1)).toEqual([
      ['r-2', 'WF-FEAT-001', '1.0.0', 'running', '2026-11-22 09:59:30', '30.0 s (so far)'],
      ['r-1', 'WF-BUG-001', '1', 'failure', '2026-11-22 09:00:00', '4m 05s'],
    ]);
  });

  it('lists tasks with attempt and progress', () => {
    expect(rows(formatTasks([taskView()], NOW))).toEqual([
      ['TASK', 'RUN', 'STAGE', 'ACTION', 'PRIORITY', 'STATUS', 'AGENT', 'ATTEMPT', 'PROGRESS', 'UPDATED'],
      ['t-1', 'run-1', 'requirements', 'write_prd', 'P1', 'accepted', 'MCT-PM-001', '1/3', '40%', '10s ago'],
    ]);
  });

  it('shows a run as the WorkflowResult: header, steps and metrics', () => {
    const run = runView(
      [
        stepView('initiation', 'success', { output: { brief: 'initiative_brief.md' } }),
        stepView('requirements', 'failure', { agent: 'MCT-PM-001', error: 'PRD incomplete', outcome: 'rejected' }),
        stepView('research', 'skipped', { runs: 0, agent: 'role:ux_designer' }),
      ],
      { status: 'failure', state: 'failure', endTime: '2026-11-22T10:00:09.000Z', duration: 9000, error: 'stage requirements failed', params: { env: 'prod' } },
    );
    const text = formatRunResult(run, NOW);
    const r = rows(text);
    expect(r).toContainEqual(['Run', 'run-1']);
    expect(r).toContainEqual(['Workflow', 'WF-FEAT-001 v1.0.0']);
    expect(r).toContainEqual(['Status', 'failure']);
    expect(r).toContainEqual(['Duration', '9.0 s']);
    expect(r).toContainEqual(['Params', 'env="prod"']);
    expect(r).toContainEqual(['Error', 'stage requirements failed']);
    expect(r).toContainEqual(['STEP', 'AGENT', 'STATUS', 'RUNS', 'OUTCOME', 'OUTPUT', 'ERROR']);
    expect(r).toContainEqual(['initiation', 'MCT-CPO-001', 'success', '1', '', 'brief', '']);
    expect(r).toContainEqual(['requirements', 'MCT-PM-001', 'failure', '0', 'rejected', '', 'PRD incomplete']);
    expect(r).toContainEqual(['research', 'role:ux_designer', 'skipped', '0', '', '', '']);
    expect(text.split('\n').at(-1)).toBe('Steps: 3 total, 1 succeeded, 1 failed, 1 skipped');
  });

  it('marks a paused run and its running time so far', () => {
    const r = rows(formatRunResult(runView([stepView('initiation', 'running')], { state: 'paused' }), NOW));
    expect(r).toContainEqual(['Status', 'running (paused)']);
    expect(r).toContainEqual(['Duration', '0 ms (so far)']);
    expect(r).toContainEqual(['Ended', '-']);
  });
});

describe('progressLines (execute --wait)', () => {
  it('announces the run, then each stage as it starts and ends, then the end of the run', () => {
    const first = runView([stepView('initiation', 'running'), stepView('requirements', 'pending')]);
    expect(progressLines(undefined, first, 300)).toEqual([
      '[00:00.3] run run-1 of WF-FEAT-001 v1.0.0 is running (priority P1)',
      '[00:00.3] ▶ stage initiation started (MCT-CPO-001)',
    ]);
    const second = runView([stepView('initiation', 'success', { outcome: 'approved' }), stepView('requirements', 'running', { agent: 'MCT-PM-001' })]);
    expect(progressLines(first, second, 1500)).toEqual([
      '[00:01.5] ✓ stage initiation succeeded (MCT-CPO-001) → approved',
      '[00:01.5] ▶ stage requirements started (MCT-PM-001)',
    ]);
    const last = runView([stepView('initiation', 'success'), stepView('requirements', 'success', { agent: 'MCT-PM-001' })], {
      status: 'success',
      state: 'success',
      endTime: '2026-11-22T10:01:05.000Z',
      duration: 65_000,
    });
    expect(progressLines(second, last, 65_000)).toEqual([
      '[01:05.0] ✓ stage requirements succeeded (MCT-PM-001)',
      '[01:05.0] run run-1 ended: success in 1m 05s (2 succeeded, 0 failed, 0 skipped of 2)',
    ]);
    expect(runIsOver(last)).toBe(true);
    expect(runIsOver(second)).toBe(false);
  });

  it('names a stage that started and ended between two polls, and a loop run again', () => {
    const before = runView([stepView('review', 'success')]);
    const after = runView([stepView('review', 'success', { runs: 2 }), stepView('fix', 'failure', { runs: 0, error: 'tests red' }), stepView('docs', 'skipped', { runs: 0 })]);
    expect(progressLines(before, after, 0)).toEqual([
      '[00:00.0] ▶ stage review started [run 2] (MCT-CPO-001)',
      '[00:00.0] ✓ stage review succeeded [run 2] (MCT-CPO-001)',
      '[00:00.0] ▶ stage fix started (MCT-CPO-001)',
      '[00:00.0] ✗ stage fix failed (MCT-CPO-001): tests red',
      '[00:00.0] – stage docs skipped (MCT-CPO-001)',
    ]);
  });

  it('does not repeat a stage seen running when it ends (runs counts successful runs)', () => {
    const running = runView([stepView('build', 'running', { runs: 0 })]);
    const done = runView([stepView('build', 'success', { runs: 1 })]);
    expect(progressLines(running, done, 900)).toEqual(['[00:00.9] ✓ stage build succeeded (MCT-CPO-001)']);
    const again = runView([stepView('build', 'running', { runs: 1 })]);
    expect(progressLines(done, again, 1000)).toEqual(['[00:01.0] ▶ stage build started [run 2] (MCT-CPO-001)']);
    const failed = runView([stepView('build', 'failure', { runs: 1, error: 'red' })]);
    expect(progressLines(again, failed, 1100)).toEqual(['[00:01.1] ✗ stage build failed [run 2] (MCT-CPO-001): red']);
    expect(stageRunNumber(stepView('x', 'pending', { runs: 0 }))).toBe(1);
  });

  it('reports pause, resume and cancellation', () => {
    const running = runView([stepView('a', 'running')]);
    const paused = runView([stepView('a', 'running')], { state: 'paused' });
    expect(progressLines(running, paused, 2000)).toEqual(['[00:02.0] run is paused']);
    const resumed = runView([stepView('a', 'running')]);
    expect(progressLines(paused, resumed, 2500)).toEqual(['[00:02.5] run is running']);
    const cancelled = runView([stepView('a', 'running')], { state: 'cancelled', status: 'failure', error: 'cancelled by ops' });
    expect(progressLines(paused, cancelled, 3000)).toEqual(['[00:03.0] run run-1 ended: cancelled (0 succeeded, 0 failed, 0 skipped of 1): cancelled by ops']);
  });
});

describe('conflicts', () => {
  it('says what is done about a conflict: the resolution once resolved, else the auto-resolution, else that it needs a decision', () => {
    expect(conflictHandling(conflictView({ needsDecision: false, autoResolution: 'queue' }))).toBe('auto: queue');
    // An auto-resolution that can no longer apply, and none at all, both wait for a person.
    expect(conflictHandling(conflictView({ needsDecision: true, autoResolution: 'queue' }))).toBe('needs decision');
    expect(conflictHandling(conflictView({ needsDecision: false, autoResolution: null }))).toBe('needs decision');
    expect(conflictHandling(conflictView({ status: 'resolved', resolution: 'escalate', needsDecision: false }))).toBe('escalate');
    expect(conflictHandling(conflictView({ status: 'resolved', resolution: 'reassign', reassignTo: 'MCT-BE-002' }))).toBe('reassign → MCT-BE-002');
    expect(conflictHandling(conflictView(), ansi)).toBe(`${ESC}[33mneeds decision${ESC}[39m`);
  });

  it('lists conflicts one line each, with a short description and at most three task ids', () => {
    const text = formatConflicts(
      [conflictView({ taskIds: ['t-1', 't-2', 't-3', 't-4', 't-5'], description: 'two\nlines  of text', detectedAt: '2026-11-22T08:00:00.000Z' })],
      NOW,
    );
    expect(rows(text)).toEqual([
      ['ID', 'KIND', 'STATUS', 'RESOLUTION', 'TASKS', 'RUN', 'DETECTED', 'DESCRIPTION'],
      ['dep.t-2.0', 'dependency_clash', 'open', 'needs decision', 't-1, t-2, t-3 +2 more', 'run-1', '2h ago', 'two lines of text'],
    ]);
    expect(formatConflicts([], NOW)).toBe('No conflicts match.');
  });
});
