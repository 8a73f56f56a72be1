import type { RecordedEvent } from '@baton/contracts';
import { workflowsProjectionInert } from '../read-model/workflows.projection';
import { runManagerInert } from './run.manager';

/** Only what the predicates look at: the stream, the type and the data. */
const event = (streamId: string, type: string, data: Record<string, unknown> = {}): RecordedEvent => ({ streamId, type, data }) as unknown as RecordedEvent;

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

describe('events the workflows projection keeps nothing of', () => {
  it('is inert for stage bookkeeping, not for what changes a run row or registers a workflow', () => {
    expect(workflowsProjectionInert(event('run-1', 'StageStarted'))).toBe(true);
    expect(workflowsProjectionInert(event('run-1', 'StageCompleted'))).toBe(true);
    for (const type of ['RunStarted', 'RunCompleted', 'RunFailed', 'RunCancelled', 'RunPaused', 'RunResumed']) expect(workflowsProjectionInert(event('run-1', type))).toBe(false);
    expect(workflowsProjectionInert(event('workflow-1', 'WorkflowVersionRegistered'))).toBe(false);
  });
});
