import { parseWorkflowOrThrow } from '@baton/workflow-dsl';
import { eventLabels, givenRun } from '../../testing/run-decider';
import { rerunPlan, type RunCommand } from './run.decider';
import type { RunEvent } from './run.events';
import type { ExistingRun } from './run.state';

const T0 = '2026-12-06T09:00:00.000Z';
let seq = 0;
const meta = () => ({ commandId: `cmd-${++seq}`, now: T0 });

// design → (backend ∥ frontend) → testing → deploy, and docs beside testing (from design, not downstream of testing).
const FEATURE = parseWorkflowOrThrow(`
name: feature
version: 1.0.0
steps:
  - id: design
    agent: role:architect
    action: design
  - id: backend
    agent: capability:node
    action: build_backend
    depends_on: [design]
  - id: frontend
    agent: capability:react
    action: build_frontend
    depends_on: [design]
  - id: testing
    agent: agent-qa
    action: test
    depends_on: [backend, frontend]
  - id: deploy
    agent: agent-ops
    action: deploy
    depends_on: [testing]
`);

const finished = (id: string, outputs: Record<string, unknown>): RunCommand => ({
  type: 'RecordTaskResult',
  data: { taskId: id, status: 'succeeded', agentId: 'agent-x', outputs, error: null },
  metadata: meta(),
});

/** A finished source run `src`, each stage reporting `{ <stage>: 'v1' }` as its output. */
function finishedSource(): { events: RunEvent[]; state: ExistingRun } {
  let r = givenRun(FEATURE, []).when({ type: 'StartRun', data: { runId: 'src', params: {}, priority: 'P1', trigger: { itemId: 'WI-1' } }, metadata: meta() });
  let events = r.events;
  for (const stage of ['design', 'backend', 'frontend', 'testing', 'deploy']) {
    r = givenRun(FEATURE, events).when(finished(`src.${stage}.1.${stage}`, { [stage]: 'v1' }));
    events = [...events, ...r.events];
  }
  expect(r.state.status).toBe('success');
  return { events, state: r.state };
}

describe('rerun from a stage', () => {
  it('rerunPlan reuses every stage the chosen one does not feed, with its recorded outputs, in workflow order', () => {
    const { state } = finishedSource();
    expect(rerunPlan(FEATURE, state, 'testing')).toEqual([
      { stageId: 'design', status: 'succeeded', outcome: null, outputs: { design: 'v1' } },
      { stageId: 'backend', status: 'succeeded', outcome: null, outputs: { backend: 'v1' } },
      { stageId: 'frontend', status: 'succeeded', outcome: null, outputs: { frontend: 'v1' } },
    ]);
    expect(rerunPlan(FEATURE, state, 'backend').map((r) => r.stageId)).toEqual(['design', 'frontend']);
    expect(rerunPlan(FEATURE, state, 'design')).toEqual([]);
  });

  it('rerunPlan refuses an unknown stage, naming the stages there are', () => {
    const { state } = finishedSource();
    expect(() => rerunPlan(FEATURE, state, 'qa')).toThrow(/has no stage "qa"; its stages are design, backend, frontend, testing, deploy/);
  });

  it('rerunPlan refuses a stage whose inputs never got made in the source run', () => {
    const started = givenRun(FEATURE, []).when({ type: 'StartRun', data: { runId: 'src', params: {}, priority: 'P1', trigger: {} }, metadata: meta() });
    expect(() => rerunPlan(FEATURE, started.state, 'testing')).toThrow(/cannot be rerun from testing: backend, frontend have no result in it/);
  });

  it('a rerun starts at the chosen stage: earlier stages are reused (not started), their outputs are the new tasks\u2019 upstream', () => {
    const { state } = finishedSource();
    const reused = rerunPlan(FEATURE, state, 'testing');
    const r = givenRun(FEATURE, []).when({
      type: 'StartRun',
      data: { runId: 'again', params: state.params, priority: state.priority, trigger: state.trigger, startedBy: { kind: 'human', id: 'ops-1' }, rerun: { runId: 'src', fromStage: 'testing', reused } },
      metadata: meta(),
    });
    expect(eventLabels(r.events)).toEqual(['RunStarted', 'StageReused:design', 'StageReused:backend', 'StageReused:frontend', 'StageStarted:testing']);
    expect(r.events[0]).toMatchObject({ data: { runId: 'again', rerunOf: { runId: 'src', fromStage: 'testing' }, trigger: { itemId: 'WI-1' } } });
    const testing = r.events[4] as Extract<RunEvent, { type: 'StageStarted' }>;
    expect(testing.data.tasks).toHaveLength(1);
    expect(testing.data.tasks[0]?.inputs['upstream']).toEqual({ design: { design: 'v1' }, backend: { backend: 'v1' }, frontend: { frontend: 'v1' } });
    expect(r.state.rerunOf).toEqual({ runId: 'src', fromStage: 'testing' });
    expect(r.state.stages['backend']).toMatchObject({ status: 'succeeded', runs: 1, outputs: { backend: 'v1' } });

    // The rerun goes on like any run: testing → deploy → done, with no earlier stage started again.
    let events = r.events;
    let next = givenRun(FEATURE, events).when(finished('again.testing.1.testing', { testing: 'v2' }));
    events = [...events, ...next.events];
    next = givenRun(FEATURE, events).when(finished('again.deploy.1.deploy', { deploy: 'v2' }));
    events = [...events, ...next.events];
    expect(next.state.status).toBe('success');
    expect(events.filter((e) => e.type === 'StageStarted').map((e) => (e.data as { stageId: string }).stageId)).toEqual(['testing', 'deploy']);
  });

  it('the source run records each rerun once (its audit names the new run)', () => {
    const { events, state } = finishedSource();
    const record: RunCommand = { type: 'RecordRerun', data: { rerunRunId: 'again', fromStage: 'testing', requestedBy: { kind: 'human', id: 'ops-1' }, reason: 'flaky test' }, metadata: meta() };
    const r = givenRun(FEATURE, events).when(record);
    expect(r.events).toEqual([
      { type: 'RunRerunStarted', data: { runId: 'src', rerunRunId: 'again', fromStage: 'testing', requestedBy: { kind: 'human', id: 'ops-1' }, reason: 'flaky test', requestedAt: T0 } },
    ]);
    expect(r.state.reruns).toEqual([{ runId: 'again', fromStage: 'testing' }]);
    expect(r.state.status).toBe(state.status);
    expect(givenRun(FEATURE, [...events, ...r.events]).when(record).events).toEqual([]);
  });
});
