import { parseWorkflowOrThrow, type WorkflowDefinition } from '@baton/workflow-dsl';
import { eventLabels, givenRun } from '../../testing/run-decider';
import { outcomeOf, requirementFor, type RunCommand } from './run.decider';

const T0 = '2026-11-22T09:00:00.000Z';
let seq = 0;
const meta = (now = T0) => ({ commandId: `cmd-${++seq}`, now });

const DAG = parseWorkflowOrThrow(`
name: dag
version: 1.0.0
steps:
  - id: plan
    agent: role:architect
    action: plan
  - id: backend
    agent: capability:node
    action: build_backend
    depends_on: [plan]
  - id: frontend
    agent: capability:react
    action: build_frontend
    depends_on: [plan]
  - id: join
    agent: agent-qa
    action: integrate
    depends_on: [backend, frontend]
    sla: 30m
    timeout: 10m
    retry: { max_attempts: 3, backoff: exponential, initial_delay: 2s }
`);

const BUG = parseWorkflowOrThrow(`
workflow:
  name: bug
  id: bug
  version: "1"
  stages:
    - stage: triage
      agent: qa
      action: classify
      outputs: [severity_classification]
      next: { P0: immediate_fix, P1: scheduled_fix }
    - stage: immediate_fix
      agent: auto_select_by_component
      action: fix
    - stage: scheduled_fix
      agent: dev
      action: fix
      condition: params.allow_scheduled
  params:
    allow_scheduled: false
    component: payments
`);

const LOOP = parseWorkflowOrThrow(`
workflow:
  name: loop
  id: loop
  version: "1"
  stages:
    - stage: implement
      agent: dev
      action: implement
      next: review
    - stage: review
      agent: reviewer
      action: review
      next: { approved: done, rejected: implement }
      loop: { back_to: implement, max_iterations: 2 }
    - stage: done
      agent: dev
      action: merge
`);

const FANOUT = parseWorkflowOrThrow(`
workflow:
  name: fan
  id: fan
  version: "1"
  error_handling:
    on_failure:
      - { agent: ops, action: rollback }
      - { notify: slack }
  stages:
    - stage: impl
      parallel_agents:
        - { agent: be, action: backend }
        - { agent: fe, action: frontend }
      sync_point: all_complete
      next: ship
    - stage: ship
      agent: ops
      action: deploy
`);

const start = (def: WorkflowDefinition, params: Record<string, unknown> = {}) =>
  givenRun(def, []).when({ type: 'StartRun', data: { runId: 'r1', params, priority: 'P0', trigger: {} }, metadata: meta() });

const result = (id: string, outputs: Record<string, unknown> = {}, status: 'succeeded' | 'failed' = 'succeeded', now = T0): RunCommand => ({
  type: 'RecordTaskResult',
  data: { taskId: id, status, agentId: 'agent-x', outputs, error: status === 'failed' ? 'boom' : null },
  metadata: meta(now),
});

describe('run decider', () => {
  it('StartRun pins the definition and starts the entry stage with a task per agent, priority from the run', () => {
    const { events } = start(DAG);
    expect(events[0]).toEqual({
      type: 'RunStarted',
      data: { runId: 'r1', workflowId: 'dag', version: '1.0.0', hash: DAG.hash, params: {}, priority: 'P0', trigger: {}, startedBy: null, startedAt: T0 },
    });
    expect(events[1]).toMatchObject({
      type: 'StageStarted',
      data: { stageId: 'plan', iteration: 1, tasks: [{ key: 'plan', taskId: 'r1.plan.1.plan', action: 'plan', requirement: { role: 'architect', capabilities: [] }, priority: 'P0' }] },
    });
    expect(events).toHaveLength(2);
  });

  it('a run-level sla sets the run\'s due time and, when its timer fires on an open run, breaches once', () => {
    const SLA = parseWorkflowOrThrow(`name: sla\nversion: 1.0.0\nsla: 2h\nsteps:\n  - id: work\n    agent: dev\n    action: work\n`);
    const started = givenRun(SLA, []).when({ type: 'StartRun', data: { runId: 'r1', params: {}, priority: 'P1', trigger: {} }, metadata: meta() });
    expect(started.events[0]).toMatchObject({ type: 'RunStarted', data: { slaDueAt: '2026-11-22T11:00:00.000Z' } });
    const breach: RunCommand = { type: 'BreachRunSla', data: {}, metadata: meta('2026-11-22T11:00:01.000Z') };
    const breached = givenRun(SLA, started.events).when(breach);
    expect(breached.events).toEqual([
      { type: 'RunSlaBreached', data: { runId: 'r1', workflowId: 'sla', slaMs: 7_200_000, startedAt: T0, breachedAt: '2026-11-22T11:00:01.000Z' } },
    ]);
    expect(givenRun(SLA, [...started.events, ...breached.events]).when(breach).events).toEqual([]);
    const done = givenRun(SLA, started.events).when(result('r1.work.1.work'));
    expect(givenRun(SLA, [...started.events, ...done.events]).when(breach).events).toEqual([]);
    // Without a run-level sla, RunStarted carries no due time.
    expect(start(DAG).events[0]?.data).not.toHaveProperty('slaDueAt');
  });

  it('a repeated StartRun decides nothing', () => {
    const first = start(DAG).events;
    expect(givenRun(DAG, first).when({ type: 'StartRun', data: { runId: 'r1', params: {}, priority: 'P0', trigger: {} }, metadata: meta() }).events).toEqual([]);
  });

  it('fans out on depends_on and joins only when both branches completed', () => {
    let history = start(DAG).events;
    let r = givenRun(DAG, history).when(result('r1.plan.1.plan'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:plan', 'StageCompleted:plan', 'StageStarted:backend', 'StageStarted:frontend']);
    history = [...history, ...r.events];
    r = givenRun(DAG, history).when(result('r1.backend.1.backend'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:backend', 'StageCompleted:backend']);
    history = [...history, ...r.events];
    r = givenRun(DAG, history).when(result('r1.frontend.1.frontend'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:frontend', 'StageCompleted:frontend', 'StageStarted:join']);
    const join = r.events[2];
    expect(join).toMatchObject({
      data: {
        slaMs: 1_800_000,
        slaDueAt: '2026-11-22T09:30:00.000Z',
        tasks: [{ requirement: { agentId: 'agent-qa' }, timeoutMs: 600_000, maxAttempts: 3, retry: { kind: 'exponential', baseMs: 2000 } }],
      },
    });
    history = [...history, ...r.events];
    r = givenRun(DAG, history).when(result('r1.join.1.join'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:join', 'StageCompleted:join', 'RunCompleted']);
    expect(r.state.status).toBe('success');
  });

  it('a result for an unknown or already recorded task decides nothing', () => {
    const history = start(DAG).events;
    expect(givenRun(DAG, history).when(result('nope')).events).toEqual([]);
    const once = givenRun(DAG, history).when(result('r1.plan.1.plan')).events;
    expect(givenRun(DAG, [...history, ...once]).when(result('r1.plan.1.plan')).events).toEqual([]);
  });

  it('routes by outcome (severity_classification P0 → immediate_fix) and maps auto_select_by_component to the component', () => {
    const history = start(BUG).events;
    const r = givenRun(BUG, history).when(result('r1.triage.1.triage', { severity_classification: 'P0' }));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:triage', 'StageCompleted:triage', 'StageStarted:immediate_fix']);
    expect(r.events[1]).toMatchObject({ data: { outcome: 'P0', next: { ready: ['immediate_fix'], waiting: [] } } });
    expect(r.events[2]).toMatchObject({ data: { tasks: [{ requirement: { capabilities: ['payments'] } }] } });
  });

  it('skips a stage whose condition is false and completes the run', () => {
    const history = start(BUG).events;
    const r = givenRun(BUG, history).when(result('r1.triage.1.triage', { outcome: 'P1' }));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:triage', 'StageCompleted:triage', 'StageSkipped:scheduled_fix', 'RunCompleted']);
    expect(r.events[2]).toMatchObject({ data: { reason: 'condition "params.allow_scheduled" is false' } });
  });

  it('fails the run when the outcome names no next stage', () => {
    const r = givenRun(BUG, start(BUG).events).when(result('r1.triage.1.triage', { outcome: 'P7' }));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:triage', 'StageCompleted:triage', 'RunFailed']);
    expect(r.state.error).toContain('"P7"');
  });

  it('loops back with a new iteration and stops at the bound', () => {
    let history = start(LOOP).events;
    const step = (cmd: RunCommand) => {
      const r = givenRun(LOOP, history).when(cmd);
      history = [...history, ...r.events];
      return r;
    };
    step(result('r1.implement.1.implement'));
    let r = step(result('r1.review.1.review', { outcome: 'rejected', findings: [{ severity: 'major', title: 'no tests' }] }));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:review', 'StageCompleted:review', 'StageReworkRequested:review', 'StageStarted:implement']);
    expect(r.events[3]).toMatchObject({
      data: { iteration: 2, tasks: [{ taskId: 'r1.implement.2.implement', inputs: { feedback: { findings: [{ title: 'no tests' }] } } }] },
    });
    step(result('r1.implement.2.implement'));
    r = step(result('r1.review.2.review', { outcome: 'rejected' }));
    // At the loop's bound the review goes to a human instead of failing the run (001: 3+ rejections → escalate).
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:review', 'StageCompleted:review', 'StageEscalated:review']);
    expect(r.state.status).toBe('running');
    expect(r.events[2]).toMatchObject({ data: { trigger: 'repeated_rejections', rejections: 2, issue: expect.stringContaining('loop bound reached') } });
  });

  it('waits for every parallel branch (sync point), then runs the next stage', () => {
    let history = start(FANOUT).events;
    expect(history[1]).toMatchObject({ data: { stageId: 'impl', tasks: [{ key: 'backend' }, { key: 'frontend' }] } });
    let r = givenRun(FANOUT, history).when(result('r1.impl.1.backend', { api: 'v1' }));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:impl']);
    history = [...history, ...r.events];
    r = givenRun(FANOUT, history).when(result('r1.impl.1.frontend', { ui: 'ok' }));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:impl', 'StageCompleted:impl', 'StageStarted:ship']);
    expect(r.events[1]).toMatchObject({ data: { outputs: { api: 'v1', ui: 'ok' } } });
  });

  it('runs on_failure tasks before the run fails, and cancels the open tasks', () => {
    let history = start(FANOUT).events;
    let r = givenRun(FANOUT, history).when(result('r1.impl.1.backend', {}, 'failed'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:impl', 'StageFailed:impl', 'FailureStepsStarted']);
    expect(r.events[2]).toMatchObject({ data: { tasks: [{ action: 'rollback', requirement: { agentId: 'ops' } }], notifications: [{ channel: 'slack' }] } });
    history = [...history, ...r.events];
    r = givenRun(FANOUT, history).when(result('r1.on_failure.1.on_failure_1'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:on_failure', 'RunFailed']);
    expect(r.events[1]).toMatchObject({ data: { openTaskIds: ['r1.impl.1.frontend'] } });
  });

  it('starts no new stage while on_failure steps run', () => {
    const def = parseWorkflowOrThrow(`
name: two
version: 1.0.0
error_handling:
  on_failure:
    - { agent: ops, action: rollback }
steps:
  - { id: a, agent: x, action: a, depends_on: [] }
  - { id: b, agent: y, action: b, depends_on: [] }
  - { id: c, agent: z, action: c, depends_on: [b] }
`);
    let history = start(def).events;
    history = [...history, ...givenRun(def, history).when(result('r1.a.1.a', {}, 'failed')).events];
    const r = givenRun(def, history).when(result('r1.b.1.b'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:b', 'StageCompleted:b']);
  });

  it('pauses: completions are recorded but the next stage waits for resume', () => {
    let history = start(DAG).events;
    let r = givenRun(DAG, history).when({ type: 'PauseRun', data: { reason: 'hold' }, metadata: meta() });
    expect(eventLabels(r.events)).toEqual(['RunPaused']);
    history = [...history, ...r.events];
    r = givenRun(DAG, history).when(result('r1.plan.1.plan'));
    expect(eventLabels(r.events)).toEqual(['StageTaskFinished:plan', 'StageCompleted:plan']);
    expect(r.state.deferred).toEqual(['backend', 'frontend']);
    history = [...history, ...r.events];
    r = givenRun(DAG, history).when({ type: 'ResumeRun', data: {}, metadata: meta() });
    expect(eventLabels(r.events)).toEqual(['RunResumed', 'StageStarted:backend', 'StageStarted:frontend']);
  });

  it('cancels with the open task ids; a cancelled run refuses further control', () => {
    const history = start(DAG).events;
    const r = givenRun(DAG, history).when({ type: 'CancelRun', data: { reason: 'no longer needed' }, metadata: meta() });
    expect(r.events).toEqual([{ type: 'RunCancelled', data: { runId: 'r1', reason: 'no longer needed', openTaskIds: ['r1.plan.1.plan'], cancelledAt: T0 } }]);
    expect(() => givenRun(DAG, [...history, ...r.events]).when({ type: 'PauseRun', data: { reason: null }, metadata: meta() })).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
  });

  it('breaches a stage SLA once, only while that iteration runs', () => {
    let history = start(DAG).events;
    for (const id of ['r1.plan.1.plan', 'r1.backend.1.backend', 'r1.frontend.1.frontend']) history = [...history, ...givenRun(DAG, history).when(result(id)).events];
    const breach: RunCommand = { type: 'BreachSla', data: { stageId: 'join', iteration: 1 }, metadata: meta('2026-11-22T09:31:00.000Z') };
    const r = givenRun(DAG, history).when(breach);
    expect(r.events).toEqual([
      { type: 'StageSlaBreached', data: { runId: 'r1', workflowId: 'dag', stageId: 'join', iteration: 1, slaMs: 1_800_000, startedAt: T0, breachedAt: '2026-11-22T09:31:00.000Z' } },
    ]);
    expect(givenRun(DAG, [...history, ...r.events]).when(breach).events).toEqual([]);
  });

  it('reads the outcome from outputs.outcome first, then from a declared output naming a next key', () => {
    const triage = BUG.stages['triage']!;
    expect(outcomeOf(triage, { outcome: 'P1', severity_classification: 'P0' })).toBe('P1');
    expect(outcomeOf(triage, { severity_classification: 'P0' })).toBe('P0');
    expect(outcomeOf(triage, { note: 'nothing' })).toBeNull();
  });

  it('needs a component for auto_select_by_component', () => {
    expect(requirementFor({ kind: 'auto_select_by_component', value: 'auto_select_by_component' }, {}, {})).toEqual({ ok: false, error: expect.stringContaining('component') });
    expect(requirementFor({ kind: 'auto_select_by_component', value: 'auto_select_by_component' }, {}, { component: 'db' })).toEqual({ ok: true, requirement: { capabilities: ['db'] } });
  });
});
