import { parseWorkflowOrThrow, type WorkflowDefinition } from '@baton/workflow-dsl';
import { eventLabels, givenRun } from '../../testing/run-decider';
import type { RunCommand } from './run.decider';
import type { RunEvent } from './run.events';
import { openTaskIds } from './run.state';

const T0 = '2026-11-22T09:00:00.000Z';
let seq = 0;
const meta = (now = T0) => ({ commandId: `cmd-${++seq}`, now });

/** The end of Feature Development: a deploy by an agent that cleans up after itself, then the orchestrator's `complete` stage. */
const SHIP = parseWorkflowOrThrow(`
workflow:
  name: ship
  id: ship
  version: "1"
  stages:
    - stage: deploy
      agent: MCT-OPS-001
      action: deploy_production
      timeout: 10m
      cleanup: [close_pr, notify_team]
      next: complete
    - stage: complete
      action: notify_stakeholders
      sla: 1h
      cleanup: [archive_artifacts, close_tickets]
`);

const RETRYING = parseWorkflowOrThrow(`
workflow:
  name: retrying
  id: retrying
  version: "1"
  stages:
    - stage: checkpoint
      agent: role:coordinator
      action: update_context
      retry: { max_attempts: 3, backoff: exponential, initial_delay: 2s }
      cleanup: [prune_stale_information]
`);

const PLAIN = parseWorkflowOrThrow(`name: plain\nversion: 1.0.0\nsteps:\n  - id: work\n    agent: dev\n    action: work\n  - id: after\n    agent: dev\n    action: more\n    depends_on: [work]\n`);

/** Feeds commands one after another; each `when` answers the events it decided and the state after them. */
function run(def: WorkflowDefinition) {
  let history: RunEvent[] = [];
  const when = (command: RunCommand) => {
    const decided = givenRun(def, history).when(command);
    history = [...history, ...decided.events];
    return decided;
  };
  return { when, history: () => history };
}

const startRun = (): RunCommand => ({ type: 'StartRun', data: { runId: 'r1', params: {}, priority: 'P1', trigger: {} }, metadata: meta() });
const result = (id: string, status: 'succeeded' | 'failed' = 'succeeded', agentId = 'agent-x', now = T0): RunCommand => ({
  type: 'RecordTaskResult',
  data: { taskId: id, status, agentId, outputs: status === 'succeeded' ? { done: true } : {}, error: status === 'failed' ? 'tracker unreachable' : null },
  metadata: meta(now),
});

describe('run decider: cleanup steps', () => {
  it('starts one task per cleanup step for the stage\'s own agent once its work is done, and completes the stage only after them', () => {
    const r = run(SHIP);
    r.when(startRun());
    const worked = r.when(result('r1.deploy.1.deploy', 'succeeded', 'MCT-OPS-001'));
    expect(eventLabels(worked.events)).toEqual(['StageTaskFinished:deploy', 'StageCleanupStarted:deploy']);
    expect(worked.events[1]).toEqual({
      type: 'StageCleanupStarted',
      data: {
        runId: 'r1',
        stageId: 'deploy',
        iteration: 1,
        outcome: null,
        slaDueAt: null,
        startedAt: T0,
        tasks: [
          expect.objectContaining({
            key: 'cleanup:close_pr',
            taskId: 'r1.deploy.1.cleanup-close_pr',
            action: 'close_pr',
            requirement: { agentId: 'MCT-OPS-001', capabilities: [] },
            agent: 'MCT-OPS-001',
            priority: 'P1',
            timeoutMs: 600_000,
            maxAttempts: 1,
            checks: null,
            inputs: expect.objectContaining({ stageId: 'deploy', iteration: 1, cleanup: 'close_pr', stageOutputs: { done: true } }),
          }),
          expect.objectContaining({ key: 'cleanup:notify_team', taskId: 'r1.deploy.1.cleanup-notify_team', action: 'notify_team', requirement: { agentId: 'MCT-OPS-001', capabilities: [] } }),
        ],
      },
    });
    // The stage still runs: nothing downstream starts, the run is open, the cleanup tasks are open.
    expect(worked.state.stages['deploy']?.status).toBe('running');
    expect(worked.state.stages['complete']).toBeUndefined();
    expect(openTaskIds(worked.state)).toEqual(['r1.deploy.1.cleanup-close_pr', 'r1.deploy.1.cleanup-notify_team']);

    const first = r.when(result('r1.deploy.1.cleanup-close_pr', 'succeeded', 'MCT-OPS-001'));
    expect(eventLabels(first.events)).toEqual(['StageTaskFinished:deploy']);
    expect(first.events[0]).toMatchObject({ data: { key: 'cleanup:close_pr', status: 'succeeded', agentId: 'MCT-OPS-001' } });

    const second = r.when(result('r1.deploy.1.cleanup-notify_team', 'succeeded', 'MCT-OPS-001'));
    expect(eventLabels(second.events)).toEqual(['StageTaskFinished:deploy', 'StageCompleted:deploy', 'StageStarted:complete', 'StageCleanupStarted:complete']);
    // The stage's outputs are its work's, not its cleanup's.
    expect(second.events[1]).toMatchObject({ data: { outputs: { done: true }, cleanupFailed: [], next: { ready: ['complete'] } } });
  });

  it('sends an orchestrator stage\'s cleanup to agents with the step as a capability, under the stage\'s SLA', () => {
    const r = run(SHIP);
    r.when(startRun());
    r.when(result('r1.deploy.1.deploy'));
    r.when(result('r1.deploy.1.cleanup-close_pr'));
    const reached = r.when(result('r1.deploy.1.cleanup-notify_team'));
    expect(reached.events[2]).toMatchObject({ type: 'StageStarted', data: { stageId: 'complete', tasks: [], slaDueAt: '2026-11-22T10:00:00.000Z' } });
    expect(reached.events[3]).toMatchObject({
      type: 'StageCleanupStarted',
      data: {
        stageId: 'complete',
        slaDueAt: '2026-11-22T10:00:00.000Z',
        tasks: [
          { key: 'cleanup:archive_artifacts', action: 'archive_artifacts', requirement: { capabilities: ['archive_artifacts'] }, agent: 'capability:archive_artifacts', maxAttempts: 1 },
          { key: 'cleanup:close_tickets', action: 'close_tickets', requirement: { capabilities: ['close_tickets'] }, agent: 'capability:close_tickets', maxAttempts: 1 },
        ],
      },
    });
    expect(reached.state.status).toBe('running');

    // A cleanup task nobody takes keeps the stage running: its SLA breaches as for any stage task.
    const breach = r.when({ type: 'BreachSla', data: { stageId: 'complete', iteration: 1 }, metadata: meta('2026-11-22T10:00:01.000Z') });
    expect(breach.events).toEqual([
      { type: 'StageSlaBreached', data: { runId: 'r1', workflowId: 'ship', stageId: 'complete', iteration: 1, slaMs: 3_600_000, startedAt: T0, breachedAt: '2026-11-22T10:00:01.000Z' } },
    ]);

    r.when(result('r1.complete.1.cleanup-archive_artifacts', 'succeeded', 'MCT-HK-001'));
    const done = r.when(result('r1.complete.1.cleanup-close_tickets', 'succeeded', 'MCT-HK-001'));
    expect(eventLabels(done.events)).toEqual(['StageTaskFinished:complete', 'StageCompleted:complete', 'RunCompleted']);
    expect(done.state.status).toBe('success');
  });

  it('records a failed cleanup task, completes the stage with the steps that failed, and the run goes on', () => {
    const r = run(SHIP);
    r.when(startRun());
    r.when(result('r1.deploy.1.deploy'));
    r.when(result('r1.deploy.1.cleanup-close_pr', 'failed'));
    const deployed = r.when(result('r1.deploy.1.cleanup-notify_team'));
    expect(eventLabels(deployed.events)).toEqual(['StageTaskFinished:deploy', 'StageCompleted:deploy', 'StageStarted:complete', 'StageCleanupStarted:complete']);
    expect(deployed.events[1]).toMatchObject({ data: { stageId: 'deploy', cleanupFailed: ['close_pr'] } });
    expect(deployed.state.stages['deploy']?.status).toBe('succeeded');
    expect(deployed.state.stages['deploy']?.cleanup?.tasks['cleanup:close_pr']).toMatchObject({ status: 'failed', error: 'tracker unreachable' });

    r.when(result('r1.complete.1.cleanup-archive_artifacts', 'failed'));
    const done = r.when(result('r1.complete.1.cleanup-close_tickets', 'failed'));
    expect(eventLabels(done.events)).toEqual(['StageTaskFinished:complete', 'StageCompleted:complete', 'RunCompleted']);
    expect(done.events[0]).toMatchObject({ data: { status: 'failed', error: 'tracker unreachable' } });
    expect(done.events[1]).toMatchObject({ data: { cleanupFailed: ['archive_artifacts', 'close_tickets'] } });
    expect(done.state.status).toBe('success');
  });

  it('a repeated or unknown cleanup result decides nothing', () => {
    const r = run(SHIP);
    r.when(startRun());
    r.when(result('r1.deploy.1.deploy'));
    expect(r.when(result('r1.deploy.1.cleanup-close_pr')).events).toHaveLength(1);
    expect(r.when(result('r1.deploy.1.cleanup-close_pr')).events).toEqual([]);
    expect(r.when(result('r1.deploy.2.cleanup-close_pr')).events).toEqual([]);
  });

  it('gives cleanup tasks the stage\'s retry policy, and a role-selected stage\'s cleanup goes to that role', () => {
    const r = run(RETRYING);
    r.when(startRun());
    const worked = r.when(result('r1.checkpoint.1.checkpoint'));
    expect(worked.events[1]).toMatchObject({
      type: 'StageCleanupStarted',
      data: { tasks: [{ action: 'prune_stale_information', requirement: { role: 'coordinator', capabilities: [] }, agent: 'role:coordinator', maxAttempts: 3, retry: { kind: 'exponential', baseMs: 2000 } }] },
    });
  });

  it('a branch that finishes after the sync point was met, while the cleanup runs, changes nothing', () => {
    const ANY = parseWorkflowOrThrow(`
workflow:
  name: any
  id: any
  version: "1"
  stages:
    - stage: research
      parallel_agents:
        - { agent: a, action: search_web }
        - { agent: b, action: search_papers }
      sync_point: any_complete
      cleanup: [discard_drafts]
`);
    const r = run(ANY);
    r.when(startRun());
    const first = r.when(result('r1.research.1.search_web'));
    expect(eventLabels(first.events)).toEqual(['StageTaskFinished:research', 'StageCleanupStarted:research']);
    // No own agent: the cleanup goes by capability.
    expect(first.events[1]).toMatchObject({ data: { tasks: [{ requirement: { capabilities: ['discard_drafts'] } }] } });
    expect(r.when(result('r1.research.1.search_papers')).events).toEqual([]);
    const done = r.when(result('r1.research.1.cleanup-discard_drafts'));
    expect(eventLabels(done.events)).toEqual(['StageTaskFinished:research', 'StageCompleted:research', 'RunCompleted']);
  });

  it('cancelling a run during cleanup cancels the open cleanup tasks', () => {
    const r = run(SHIP);
    r.when(startRun());
    r.when(result('r1.deploy.1.deploy'));
    r.when(result('r1.deploy.1.cleanup-close_pr'));
    const cancelled = r.when({ type: 'CancelRun', data: { reason: 'superseded' }, metadata: meta() });
    expect(cancelled.events).toEqual([{ type: 'RunCancelled', data: { runId: 'r1', reason: 'superseded', openTaskIds: ['r1.deploy.1.cleanup-notify_team'], cancelledAt: T0 } }]);
  });

  it('leaves a stage without cleanup as it was: it completes with its work, with no cleanup field', () => {
    const r = run(PLAIN);
    r.when(startRun());
    const worked = r.when(result('r1.work.1.work'));
    expect(eventLabels(worked.events)).toEqual(['StageTaskFinished:work', 'StageCompleted:work', 'StageStarted:after']);
    expect(worked.events[1]?.data).not.toHaveProperty('cleanupFailed');
    expect(worked.state.stages['work']?.cleanup).toBeNull();
  });
});
