import type { RecordedEvent } from '@baton/contracts';
import { workflowsProjectionInert } from '../read-model/workflows.projection';
import { runManagerInert as inertWith, type RunManagerMemory } from './run.manager';

/** Only what the predicates look at: the stream, the type, the id and the data. */
const event = (streamId: string, type: string, data: Record<string, unknown> = {}, eventId = 'e-1'): RecordedEvent => ({ streamId, type, data, eventId }) as unknown as RecordedEvent;

/** A memory that knows nothing: what the manager's pass would do is judged from the event alone. */
const NOTHING_KEPT: RunManagerMemory = { runs: { knows: () => false, kept: () => undefined } };
const runManagerInert = inertWith(NOTHING_KEPT);

describe('events the run manager does nothing for (its projection runner skips a batch of only these)', () => {
  it("is inert for a plain task's lifecycle and a run task's events before its end", () => {
    for (const type of ['TaskCreated', 'TaskAssigned', 'TaskAccepted', 'TaskProgressReported', 'TaskBlocked', 'TaskUnblocked', 'TaskReleased', 'TaskHandoffRejected']) {
      expect(runManagerInert(event('task-1', type, { taskId: '1', runId: 'r' }))).toBe(true);
    }
    expect(runManagerInert(event('task-1', 'TaskCompleted', { taskId: '1', runId: null }))).toBe(true);
    expect(runManagerInert(event('task-1', 'TaskCancelled', { taskId: '1', runId: null }))).toBe(true);
    expect(runManagerInert(event('task-1', 'TaskFailed', { taskId: '1', runId: 'r', final: false }))).toBe(true);
  });

  it("acts on the end of a run's task, and on an end written before events named their run (it reads the task's stream)", () => {
    expect(runManagerInert(event('task-1', 'TaskCompleted', { taskId: '1', runId: 'r' }))).toBe(false);
    expect(runManagerInert(event('task-1', 'TaskCancelled', { taskId: '1', runId: 'r' }))).toBe(false);
    expect(runManagerInert(event('task-1', 'TaskFailed', { taskId: '1', runId: 'r', final: true }))).toBe(false);
    expect(runManagerInert(event('task-1', 'TaskCompleted', { taskId: '1' }))).toBe(false);
  });

  it('acts on the run events that create tasks, write or delete timers, or cancel tasks', () => {
    for (const type of ['StageStarted', 'StageCleanupStarted', 'FailureStepsStarted', 'StageApprovalRequested', 'RunCancelled', 'RunFailed', 'RunCompleted', 'StageCompleted', 'StageFailed', 'StageSkipped']) {
      expect(runManagerInert(event('run-1', type, { runId: '1' }))).toBe(false);
    }
    expect(runManagerInert(event('run-1', 'RunStarted', { runId: '1', slaDueAt: '2026-12-07T00:00:00.000Z' }))).toBe(false);
    expect(runManagerInert(event('run-1', 'RunStarted', { runId: '1', slaDueAt: null }))).toBe(true);
    expect(runManagerInert(event('run-1', 'StageTaskFinished', { runId: '1' }))).toBe(true);
    // A conflict event is the conflict manager's to judge, never inert here.
    expect(runManagerInert(event('conflict-1', 'ConflictDetected'))).toBe(false);
  });
});

describe('events the run manager does nothing for, known from memory', () => {
  const keptRun = { exists: true, stages: { one: { slaMs: null }, timed: { slaMs: 60_000 } } };
  const memory: RunManagerMemory = {
    runs: {
      knows: (runId, commandId) => runId === 'r' && commandId === 'task-result:done-alongside',
      kept: (runId) => (runId === 'r' ? (keptRun as never) : undefined),
    },
    createdAtCommit: { has: (eventId) => eventId === 'created-at-commit' },
  };
  const inert = inertWith(memory);

  it("is inert for the end of a task whose result the kept run has recorded, not for one it has not", () => {
    expect(inert(event('task-1', 'TaskCompleted', { taskId: 'done-alongside', runId: 'r' }))).toBe(true);
    expect(inert(event('task-1', 'TaskCompleted', { taskId: 'other', runId: 'r' }))).toBe(false);
  });

  it('is inert for a stage start whose tasks were created at commit and that sets no timer', () => {
    const start = (slaDueAt: string | null, eventId: string) => event('run-r', 'StageStarted', { runId: 'r', stageId: 'one', slaDueAt, tasks: [{ key: 'k' }] }, eventId);
    expect(inert(start(null, 'created-at-commit'))).toBe(true);
    expect(inert(start(null, 'not-created'))).toBe(false);
    expect(inert(start('2026-12-07T00:00:00.000Z', 'created-at-commit'))).toBe(false);
    expect(inert(event('run-r', 'StageApprovalRequested', { runId: 'r' }, 'created-at-commit'))).toBe(true);
  });

  it('is inert for the end of a stage the kept run shows without an SLA, not with one or unknown', () => {
    expect(inert(event('run-r', 'StageCompleted', { runId: 'r', stageId: 'one' }))).toBe(true);
    expect(inert(event('run-r', 'StageCompleted', { runId: 'r', stageId: 'timed' }))).toBe(false);
    expect(inert(event('run-r', 'StageCompleted', { runId: 'r', stageId: 'unknown' }))).toBe(false);
    expect(inert(event('run-x', 'StageFailed', { runId: 'x', stageId: 'one' }))).toBe(false);
  });
});

describe('events the workflows projection keeps nothing of', () => {
  it('is inert for stage bookkeeping, not for what changes a run row or registers a workflow', () => {
    expect(workflowsProjectionInert(event('run-1', 'StageStarted'))).toBe(true);
    expect(workflowsProjectionInert(event('run-1', 'StageCompleted'))).toBe(true);
    for (const type of ['RunStarted', 'RunCompleted', 'RunFailed', 'RunCancelled', 'RunPaused', 'RunResumed']) expect(workflowsProjectionInert(event('run-1', type))).toBe(false);
    expect(workflowsProjectionInert(event('workflow-1', 'WorkflowVersionRegistered'))).toBe(false);
  });
});
