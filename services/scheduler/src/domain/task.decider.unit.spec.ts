import { deciderSpec } from '@baton/aggregate';
import type { TaskCommand } from './task.commands';
import { decide, evolve, fold, taskAggregate } from './task.decider';
import type { TaskEvent } from './task.events';
import { toTaskEvent } from './task.events';
import type { Task } from './task.state';

const T0 = '2026-11-22T09:00:00.000Z';
const at = (ms: number): string => new Date(Date.parse(T0) + ms).toISOString();
let seq = 0;
const meta = (now = T0) => ({ commandId: `cmd-${++seq}`, now });

const created = (over: Partial<Extract<TaskEvent, { type: 'TaskCreated' }>['data']> = {}): TaskEvent => ({
  type: 'TaskCreated',
  data: {
    taskId: 'task-1',
    runId: null,
    stageId: null,
    action: 'implement',
    requirement: { capabilities: ['node'] },
    priority: 'P1',
    inputs: {},
    attempt: 1,
    slaDueAt: null,
    timeoutMs: null,
    createdAt: T0,
    maxAttempts: 3,
    retry: { kind: 'exponential', baseMs: 1000, maxMs: 60_000 },
    ...over,
  },
});
const assigned = (agentId: string, leaseEpoch: number, assignedAt = T0, previousAgentId: string | null = null): TaskEvent => ({
  type: 'TaskAssigned',
  data: { taskId: 'task-1', agentId, leaseEpoch, assignedAt, previousAgentId },
});
const released = (agentId: string, leaseEpoch: number, reason: 'agent_offline' | 'timed_out' = 'agent_offline', releasedAt = T0, attempt = 1): TaskEvent => ({
  type: 'TaskReleased',
  data: { taskId: 'task-1', agentId, leaseEpoch, reason, releasedAt, attempt },
});

/** What the events that end a task carry for a task outside any run. */
const noRun = { runId: null, stageId: null };

/** given past events, when a command, then these events (or this error code). */
const { given } = deciderSpec(taskAggregate);

const report = (agentId: string, leaseEpoch: number) => ({ taskId: 'task-1', agentId, leaseEpoch });
const profile = (agentId: string, capabilities = ['node']) => ({ agentId, role: 'backend', capabilities });
/** a1 fails its lease-1 task for good (not retryable) at at(10): the command, and the TaskFailed that ends the task. */
const finalFailure = (error: { message: string; code: string }): { command: TaskCommand; failed: TaskEvent } => ({
  command: { type: 'FailTask', data: { ...report('a1', 1), error, retryable: false }, metadata: meta(at(10)) },
  failed: { type: 'TaskFailed', data: { taskId: 'task-1', ...noRun, agentId: 'a1', leaseEpoch: 1, error, final: true, failedAt: at(10), retryAt: null, attempt: 1 } },
});

describe('task decider', () => {
  describe('CreateTask', () => {
    it('creates a queued task with attempt 1 and the time from the command', () => {
      given([])
        .when({
          type: 'CreateTask',
          data: {
            taskId: 'task-1',
            runId: 'run-1',
            stageId: 'build',
            action: 'implement',
            requirement: { role: 'backend', capabilities: ['node', 'node'] },
            priority: 'P0',
            inputs: { spec: 'x' },
            maxAttempts: 2,
            retry: { kind: 'linear', baseMs: 500, maxMs: 5000 },
            timeoutMs: 30_000,
            slaDueAt: null,
          },
          metadata: meta(),
        })
        .then([
          created({
            runId: 'run-1',
            stageId: 'build',
            requirement: { role: 'backend', capabilities: ['node'] },
            priority: 'P0',
            inputs: { spec: 'x' },
            maxAttempts: 2,
            retry: { kind: 'linear', baseMs: 500, maxMs: 5000 },
            timeoutMs: 30_000,
          }),
        ]);
    });

    it('with assignTo (planned by the dispatcher at once) creates it assigned to that agent, lease epoch 1, in one decision', () => {
      const data = fold([created()]) as Task;
      given([])
        .when({ type: 'CreateTask', data: { ...data, requirement: data.requirement, inputs: {}, assignTo: 'a1' }, metadata: meta() })
        .then([created(), assigned('a1', 1)]);
    });

    it('with assignTo refuses an id that exists with CONFLICT, and assigns nothing', () => {
      const data = fold([created()]) as Task;
      given([created()])
        .when({ type: 'CreateTask', data: { ...data, requirement: data.requirement, inputs: {}, assignTo: 'a1' }, metadata: meta() })
        .thenThrows('CONFLICT');
    });

    it('refuses an id that exists with CONFLICT', () => {
      const data = (fold([created()]) as Task);
      given([created()])
        .when({ type: 'CreateTask', data: { ...data, requirement: data.requirement, inputs: {} }, metadata: meta() })
        .thenThrows('CONFLICT');
    });
  });

  describe('lease epochs', () => {
    it('AssignTask gives lease epoch previous + 1', () => {
      given([created()]).when({ type: 'AssignTask', data: { taskId: 'task-1', agentId: 'a1' }, metadata: meta() }).then([assigned('a1', 1)]);
      given([created(), assigned('a1', 1), released('a1', 1)])
        .when({ type: 'AssignTask', data: { taskId: 'task-1', agentId: 'a2' }, metadata: meta(at(5)) })
        .then([assigned('a2', 2, at(5), 'a1')]);
    });

    it('refuses to assign a task that is already held with CONFLICT', () => {
      given([created(), assigned('a1', 1)]).when({ type: 'AssignTask', data: { taskId: 'task-1', agentId: 'a2' }, metadata: meta() }).thenThrows('CONFLICT');
    });

    it('refuses any report with a stale epoch or from a non-holder with STALE_LEASE', () => {
      const history = [created(), assigned('a1', 1), released('a1', 1), assigned('a2', 2)];
      given(history).when({ type: 'AcceptTask', data: report('a1', 1), metadata: meta() }).thenThrows('STALE_LEASE');
      given(history).when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: {} }, metadata: meta() }).thenThrows('STALE_LEASE');
      given(history).when({ type: 'CompleteTask', data: { ...report('a1', 2), outputs: {} }, metadata: meta() }).thenThrows('STALE_LEASE');
      given(history).when({ type: 'AcceptTask', data: report('a2', 1), metadata: meta() }).thenThrows('STALE_LEASE');
      given(history)
        .when({ type: 'ReportProgress', data: { ...report('a1', 1), percent: 50, message: null, tokensUsed: null }, metadata: meta() })
        .thenThrows('STALE_LEASE');
      given(history).when({ type: 'AcceptTask', data: report('a2', 2), metadata: meta() }).then([
        { type: 'TaskAccepted', data: { taskId: 'task-1', agentId: 'a2', leaseEpoch: 2, acceptedAt: T0 } },
      ]);
    });

    it('refuses reports on a task nobody holds with STALE_LEASE and on an unknown task with NOT_FOUND', () => {
      given([created()]).when({ type: 'AcceptTask', data: report('a1', 1), metadata: meta() }).thenThrows('STALE_LEASE');
      given([]).when({ type: 'AcceptTask', data: report('a1', 1), metadata: meta() }).thenThrows('NOT_FOUND');
    });
  });

  describe('agent reports', () => {
    const held = [created(), assigned('a1', 1), { type: 'TaskAccepted', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, acceptedAt: T0 } } as TaskEvent];

    it('accepts, reports progress with tokens, blocks and unblocks', () => {
      given(held)
        .when({ type: 'ReportProgress', data: { ...report('a1', 1), percent: 40, message: 'half way', tokensUsed: 1200 }, metadata: meta(at(1000)) })
        .then([
          {
            type: 'TaskProgressReported',
            data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, percent: 40, message: 'half way', tokensUsed: 1200, reportedAt: at(1000) },
          },
        ]);
      given(held).when({ type: 'ReportBlocked', data: { ...report('a1', 1), reason: 'waiting on API key' }, metadata: meta() }).then([
        { type: 'TaskBlocked', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, reason: 'waiting on API key', blockedAt: T0 } },
      ]);
      const blocked: TaskEvent = { type: 'TaskBlocked', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, reason: 'x', blockedAt: T0 } };
      given([...held, blocked]).when({ type: 'ReportUnblocked', data: report('a1', 1), metadata: meta() }).then([
        { type: 'TaskUnblocked', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, unblockedAt: T0 } },
      ]);
      given([...held, blocked]).when({ type: 'ReportBlocked', data: { ...report('a1', 1), reason: 'again' }, metadata: meta() }).then([]);
      given(held).when({ type: 'ReportUnblocked', data: report('a1', 1), metadata: meta() }).then([]);
    });

    it('completes once; completing again is idempotent and appends no second TaskCompleted', () => {
      const completed: TaskEvent = {
        type: 'TaskCompleted',
        data: { taskId: 'task-1', ...noRun, agentId: 'a1', leaseEpoch: 1, outputs: { pr: 7 }, completedAt: at(90_000), durationMs: 90_000 },
      };
      given(held).when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: { pr: 7 } }, metadata: meta(at(90_000)) }).then([completed]);
      given([...held, completed]).when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: { pr: 8 } }, metadata: meta() }).then([]);
      given([...held, completed]).when({ type: 'CompleteTask', data: { ...report('a2', 1), outputs: {} }, metadata: meta() }).thenThrows('STALE_LEASE');
      given([...held, completed])
        .when({ type: 'FailTask', data: { ...report('a1', 1), error: { message: 'x', code: null }, retryable: false }, metadata: meta() })
        .thenThrows('ILLEGAL_TRANSITION');
    });

    it('a final failure (not retryable) ends the task', () => {
      const { command, failed } = finalFailure({ message: 'boom', code: 'E1' });
      given(held).when(command).then([failed]);
    });
  });

  describe('accepting is optional: a report of work from the holder implies acceptance', () => {
    const held = [created(), assigned('a1', 1, T0)];
    const acceptedAt = (now: string): TaskEvent => ({ type: 'TaskAccepted', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, acceptedAt: now } });
    const accepted = acceptedAt(at(500));

    it('given an assigned task, when the holder completes it without accepting, then TaskAccepted is recorded before TaskCompleted', () => {
      given(held)
        .when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: { pr: 7 } }, metadata: meta(at(90_000)) })
        .then([
          acceptedAt(at(90_000)),
          { type: 'TaskCompleted', data: { taskId: 'task-1', ...noRun, agentId: 'a1', leaseEpoch: 1, outputs: { pr: 7 }, completedAt: at(90_000), durationMs: 90_000 } },
        ]);
    });

    it('given an assigned task, when the holder reports progress without accepting, then TaskAccepted is recorded before the progress', () => {
      given(held)
        .when({ type: 'ReportProgress', data: { ...report('a1', 1), percent: 10, message: null, tokensUsed: null }, metadata: meta(at(1000)) })
        .then([
          acceptedAt(at(1000)),
          { type: 'TaskProgressReported', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, percent: 10, message: null, tokensUsed: null, reportedAt: at(1000) } },
        ]);
    });

    it('given an assigned task, when the holder reports it blocked without accepting, then TaskAccepted is recorded before TaskBlocked', () => {
      given(held)
        .when({ type: 'ReportBlocked', data: { ...report('a1', 1), reason: 'waiting on API key' }, metadata: meta(at(2000)) })
        .then([acceptedAt(at(2000)), { type: 'TaskBlocked', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, reason: 'waiting on API key', blockedAt: at(2000) } }]);
    });

    it('given an assigned task, when its handoff is refused, then TaskAccepted is recorded before TaskHandoffRejected (the completion attempt accepted it)', () => {
      given(held)
        .when({ type: 'RejectHandoff', data: { ...report('a1', 1), handoffId: 'h1', failures: [] }, metadata: meta(at(3000)) })
        .then([
          acceptedAt(at(3000)),
          { type: 'TaskHandoffRejected', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, handoffId: 'h1', failures: [], rejections: 1, rejectedAt: at(3000) } },
        ]);
    });

    it('given an accepted task, when the holder reports progress or completes, then no second TaskAccepted', () => {
      given([...held, accepted])
        .when({ type: 'ReportProgress', data: { ...report('a1', 1), percent: 50, message: null, tokensUsed: null }, metadata: meta(at(1000)) })
        .then([{ type: 'TaskProgressReported', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, percent: 50, message: null, tokensUsed: null, reportedAt: at(1000) } }]);
      given([...held, accepted])
        .when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: {} }, metadata: meta(at(2000)) })
        .then([{ type: 'TaskCompleted', data: { taskId: 'task-1', ...noRun, agentId: 'a1', leaseEpoch: 1, outputs: {}, completedAt: at(2000), durationMs: 2000 } }]);
    });

    it('given an assigned task completed without an accept, when the accept arrives late, then it changes nothing', () => {
      const completed = decide({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: {} }, metadata: meta(at(100)) }, fold(held));
      given([...held, ...completed]).when({ type: 'AcceptTask', data: report('a1', 1), metadata: meta(at(200)) }).then([]);
    });

    it('given an assigned task, when the holder fails it without accepting, then only TaskFailed (turning work down is not accepting it)', () => {
      const { command, failed } = finalFailure({ message: 'cannot', code: 'UNSUPPORTED' });
      given(held).when(command).then([failed]);
    });

    it('given a task another agent now holds, when the old holder completes without accepting, then STALE_LEASE and nothing is accepted', () => {
      given([...held, released('a1', 1), assigned('a2', 2)])
        .when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: {} }, metadata: meta() })
        .thenThrows('STALE_LEASE');
    });
  });

  describe('retries with back-off', () => {
    const fail = (agentId: string, epoch: number, now: string): TaskCommand => ({
      type: 'FailTask',
      data: { ...report(agentId, epoch), error: { message: 'flaky', code: null }, retryable: true },
      metadata: meta(now),
    });

    it('a retryable failure below max attempts goes back to the queue not before now + back-off', () => {
      const history = [created(), assigned('a1', 1)];
      const events = decide(fail('a1', 1, at(0)), fold(history));
      expect(events).toEqual([
        {
          type: 'TaskFailed',
          data: { taskId: 'task-1', ...noRun, agentId: 'a1', leaseEpoch: 1, error: { message: 'flaky', code: null }, final: false, failedAt: T0, retryAt: at(1000), attempt: 2 },
        },
      ]);
      const state = fold([...history, ...events]) as Task;
      expect(state).toMatchObject({ status: 'queued', attempt: 2, agentId: null, notBefore: at(1000) });
      // Not assignable before the back-off ends (the injected clock moves, nothing sleeps).
      expect(() => decide({ type: 'AssignTask', data: { taskId: 'task-1', agentId: 'a2' }, metadata: meta(at(999)) }, state)).toThrow(
        expect.objectContaining({ code: 'CONFLICT' }),
      );
      expect(decide({ type: 'AssignTask', data: { taskId: 'task-1', agentId: 'a2' }, metadata: meta(at(1000)) }, state)).toEqual([
        assigned('a2', 2, at(1000), 'a1'),
      ]);
    });

    it('the second retry waits twice as long (exponential); the last attempt fails for good', () => {
      let events: TaskEvent[] = [created(), assigned('a1', 1)];
      events = [...events, ...decide(fail('a1', 1, at(0)), fold(events))];
      events = [...events, ...decide({ type: 'AssignTask', data: { taskId: 'task-1', agentId: 'a1' }, metadata: meta(at(1000)) }, fold(events))];
      const second = decide(fail('a1', 2, at(1500)), fold(events));
      expect(second[0]).toMatchObject({ type: 'TaskFailed', data: { final: false, retryAt: at(3500) } });
      events = [...events, ...second];
      events = [...events, ...decide({ type: 'AssignTask', data: { taskId: 'task-1', agentId: 'a1' }, metadata: meta(at(3500)) }, fold(events))];
      expect(fold(events)).toMatchObject({ attempt: 3, leaseEpoch: 3 });
      expect(decide(fail('a1', 3, at(4000)), fold(events))[0]).toMatchObject({ type: 'TaskFailed', data: { final: true, retryAt: null } });
    });
  });

  describe('ReleaseTask', () => {
    it('releases the holder (agent offline) back to the queue, ahead of its priority', () => {
      const history = [created(), assigned('a1', 1)];
      given(history)
        .when({ type: 'ReleaseTask', data: { ...report('a1', 1), reason: 'agent_offline' }, metadata: meta() })
        .then([released('a1', 1)]);
      expect(fold([...history, released('a1', 1)])).toMatchObject({ status: 'queued', agentId: null, requeued: true, previousAgentId: 'a1' });
    });

    it('is a no-op when the epoch moved on or the task is finished', () => {
      given([created(), assigned('a1', 1), released('a1', 1), assigned('a2', 2)])
        .when({ type: 'ReleaseTask', data: { ...report('a1', 1), reason: 'agent_offline' }, metadata: meta() })
        .then([]);
      given([created()]).when({ type: 'ReleaseTask', data: { ...report('a1', 1), reason: 'timed_out' }, metadata: meta() }).then([]);
    });

    it('a time-out on the last attempt fails the task for good', () => {
      given([created({ maxAttempts: 1 }), assigned('a1', 1)])
        .when({ type: 'ReleaseTask', data: { ...report('a1', 1), reason: 'timed_out' }, metadata: meta() })
        .then([
          released('a1', 1, 'timed_out'),
          {
            type: 'TaskFailed',
            data: { taskId: 'task-1', ...noRun, agentId: null, leaseEpoch: 1, error: { message: 'attempt 1 timed out', code: 'TIMEOUT' }, final: true, failedAt: T0, retryAt: null, attempt: 1 },
          },
        ]);
    });
  });

  describe('the events that end a task carry its run and stage (the run manager reads them there)', () => {
    const inRun = [created({ runId: 'run-1', stageId: 'build', maxAttempts: 1 }), assigned('a1', 1)];
    const placed = { runId: 'run-1', stageId: 'build' };

    it('given a task of a run, when the holder completes it, then TaskCompleted carries runId and stageId', () => {
      given(inRun)
        .when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: { pr: 7 } }, metadata: meta(at(1000)) })
        .then([
          { type: 'TaskAccepted', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, acceptedAt: at(1000) } },
          { type: 'TaskCompleted', data: { taskId: 'task-1', ...placed, agentId: 'a1', leaseEpoch: 1, outputs: { pr: 7 }, completedAt: at(1000), durationMs: 1000 } },
        ]);
    });

    it('given a task of a run, when it fails for good or is cancelled, then TaskFailed and TaskCancelled carry runId and stageId', () => {
      given(inRun)
        .when({ type: 'FailTask', data: { ...report('a1', 1), error: { message: 'boom', code: null }, retryable: false }, metadata: meta() })
        .then([
          {
            type: 'TaskFailed',
            data: { taskId: 'task-1', ...placed, agentId: 'a1', leaseEpoch: 1, error: { message: 'boom', code: null }, final: true, failedAt: T0, retryAt: null, attempt: 1 },
          },
        ]);
      given(inRun)
        .when({ type: 'CancelTask', data: { taskId: 'task-1', reason: 'run aborted' }, metadata: meta() })
        .then([{ type: 'TaskCancelled', data: { taskId: 'task-1', ...placed, reason: 'run aborted', cancelledAt: T0 } }]);
    });

    it('a stored completion without them (written before) still reads, with neither set', () => {
      const legacy = toTaskEvent({
        type: 'TaskCompleted',
        schemaVersion: 1,
        data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, outputs: {}, completedAt: T0, durationMs: 0 },
      });
      expect(legacy).toEqual({ type: 'TaskCompleted', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, outputs: {}, completedAt: T0, durationMs: 0 } });
      expect(legacy.data).not.toHaveProperty('runId');
    });
  });

  describe('the attempt is recorded on the event (read models copy it)', () => {
    it('a time-out that leaves attempts records the next attempt on TaskReleased', () => {
      const after = given([created({ maxAttempts: 3 }), assigned('a1', 1)])
        .when({ type: 'ReleaseTask', data: { ...report('a1', 1), reason: 'timed_out' }, metadata: meta() })
        .then([released('a1', 1, 'timed_out', T0, 2)]);
      expect(after).toMatchObject({ status: 'queued', attempt: 2 });
    });

    it('events written before the attempt was recorded still fold to the same attempt', () => {
      const legacyRelease: TaskEvent = { type: 'TaskReleased', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, reason: 'timed_out', releasedAt: T0 } };
      const legacyFail: TaskEvent = {
        type: 'TaskFailed',
        data: { taskId: 'task-1', agentId: 'a2', leaseEpoch: 2, error: { message: 'x', code: null }, final: false, failedAt: T0, retryAt: null },
      };
      expect(fold([created(), assigned('a1', 1), legacyRelease])).toMatchObject({ attempt: 2 });
      expect(fold([created(), assigned('a1', 1), legacyRelease, assigned('a2', 2), legacyFail])).toMatchObject({ attempt: 3 });
    });
  });

  describe('ClaimTask', () => {
    it('two agents claiming the same task: exactly one wins, the other gets CONFLICT', () => {
      const queued = fold([created()]);
      const first = decide({ type: 'ClaimTask', data: { taskId: 'task-1', agent: profile('a1') }, metadata: meta() }, queued);
      expect(first).toEqual([assigned('a1', 1)]);
      // The loser re-decides on the state after the winner's append (the store's expected revision forces the re-read).
      const afterWin = first.reduce(evolve, queued);
      expect(() => decide({ type: 'ClaimTask', data: { taskId: 'task-1', agent: profile('a2') }, metadata: meta() }, afterWin)).toThrow(
        expect.objectContaining({ code: 'CONFLICT' }),
      );
    });

    it('refuses an agent that does not meet the requirement with FORBIDDEN', () => {
      given([created()]).when({ type: 'ClaimTask', data: { taskId: 'task-1', agent: profile('a1', ['python']) }, metadata: meta() }).thenThrows('FORBIDDEN');
    });
  });

  describe('CancelTask', () => {
    it('cancels a live task once; a finished task cannot be cancelled', () => {
      given([created()]).when({ type: 'CancelTask', data: { taskId: 'task-1', reason: 'run aborted' }, metadata: meta() }).then([
        { type: 'TaskCancelled', data: { taskId: 'task-1', ...noRun, reason: 'run aborted', cancelledAt: T0 } },
      ]);
      const cancelled: TaskEvent = { type: 'TaskCancelled', data: { taskId: 'task-1', reason: 'x', cancelledAt: T0 } };
      given([created(), cancelled]).when({ type: 'CancelTask', data: { taskId: 'task-1', reason: 'again' }, metadata: meta() }).then([]);
      given([created(), { type: 'TaskFailed', data: { taskId: 'task-1', agentId: null, leaseEpoch: 0, error: { message: 'x', code: null }, final: true, failedAt: T0, retryAt: null } }])
        .when({ type: 'CancelTask', data: { taskId: 'task-1', reason: 'late' }, metadata: meta() })
        .thenThrows('ILLEGAL_TRANSITION');
    });
  });

  describe('RejectHandoff', () => {
    const failure = { source: 'handoff' as const, specId: 'HO-PM-ARCH', artifact: 'prd.md', rule: 'user_stories: min 3', message: 'no user stories', missing: ['user stories'] };
    it('keeps the task with its holder and counts the rounds; only the holder can be refused', () => {
      const held = [created(), assigned('a1', 1), { type: 'TaskAccepted', data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, acceptedAt: T0 } } as TaskEvent];
      const first: TaskEvent = {
        type: 'TaskHandoffRejected',
        data: { taskId: 'task-1', agentId: 'a1', leaseEpoch: 1, handoffId: 'h1', failures: [failure], rejections: 1, rejectedAt: T0 },
      };
      given(held).when({ type: 'RejectHandoff', data: { ...report('a1', 1), handoffId: 'h1', failures: [failure] }, metadata: meta() }).then([first]);
      const after = fold([...held, first]);
      expect(after).toMatchObject({ status: 'accepted', agentId: 'a1', handoffRejections: 1 });
      given([...held, first])
        .when({ type: 'RejectHandoff', data: { ...report('a1', 1), handoffId: 'h2', failures: [failure] }, metadata: meta() })
        .then([{ type: 'TaskHandoffRejected', data: { ...first.data, handoffId: 'h2', rejections: 2 } } as TaskEvent]);
      // The reworked completion then completes the task as usual.
      given([...held, first]).when({ type: 'CompleteTask', data: { ...report('a1', 1), outputs: {} }, metadata: meta() }).then([
        { type: 'TaskCompleted', data: { taskId: 'task-1', ...noRun, agentId: 'a1', leaseEpoch: 1, outputs: {}, completedAt: T0, durationMs: 0 } },
      ]);
      given(held).when({ type: 'RejectHandoff', data: { ...report('a2', 1), handoffId: 'h3', failures: [] }, metadata: meta() }).thenThrows('STALE_LEASE');
      given([created()]).when({ type: 'RejectHandoff', data: { ...report('a1', 0), handoffId: 'h4', failures: [] }, metadata: meta() }).thenThrows('STALE_LEASE');
    });
  });

  describe('toTaskEvent (reading stored events)', () => {
    it('reads a stored TaskCreated v1 written without the scheduling fields, with their defaults', () => {
      const stored = { type: 'TaskCreated', schemaVersion: 1, data: { taskId: 't', runId: null, stageId: null, action: 'a', requirement: {}, priority: 'P2', createdAt: T0 } };
      expect(toTaskEvent(stored)).toEqual({
        type: 'TaskCreated',
        data: expect.objectContaining({ attempt: 1, maxAttempts: 3, retry: { kind: 'exponential', baseMs: 1000, maxMs: 60_000 }, requirement: { capabilities: [] } }),
      });
    });

    it('refuses unknown types and versions with UNKNOWN_SCHEMA_VERSION', () => {
      expect(() => toTaskEvent({ type: 'TaskExploded', schemaVersion: 1, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
      expect(() => toTaskEvent({ type: 'TaskCreated', schemaVersion: 9, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
    });
  });
});
