import type { RecordedEvent } from '@baton/contracts';
import { inboxAssignmentOf, PreparedAssignments } from './agent-inbox.publisher';

const T0 = '2026-11-22T09:00:00.000Z';

function recorded(revision: number, type: string, data: unknown): RecordedEvent {
  return {
    eventId: `e-${revision}`,
    type,
    schemaVersion: 1,
    streamId: 'task-t1',
    revision,
    position: { commit: revision + 1, prepare: 0 },
    data,
    metadata: { occurredAt: T0 },
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  };
}

describe('inbox assignment of a TaskAssigned', () => {
  const created = recorded(0, 'TaskCreated', {
    taskId: 't1',
    runId: 'r1',
    stageId: 's1',
    action: 'review',
    requirement: { capabilities: [] },
    priority: 'P0',
    inputs: { pr: 3 },
    createdAt: T0,
  });
  const first = recorded(1, 'TaskAssigned', { taskId: 't1', agentId: 'a1', leaseEpoch: 1, assignedAt: T0 });
  const released = recorded(2, 'TaskReleased', { taskId: 't1', agentId: 'a1', leaseEpoch: 1, reason: 'timed_out', releasedAt: T0 });
  const second = recorded(3, 'TaskAssigned', { taskId: 't1', agentId: 'a2', leaseEpoch: 2, assignedAt: T0, previousAgentId: 'a1' });

  it('carries what the agent needs, from the stream as it was at that event', () => {
    const history = [created, first, released, second];
    expect(inboxAssignmentOf(first, history)).toEqual({
      kind: 'task.assigned',
      taskId: 't1',
      runId: 'r1',
      stageId: 's1',
      action: 'review',
      inputs: { pr: 3 },
      priority: 'P0',
      leaseEpoch: 1,
      attempt: 1,
      assignedAt: T0,
    });
    expect(inboxAssignmentOf(second, history)).toMatchObject({ leaseEpoch: 2, attempt: 2 });
  });

  it('refuses an event that is not a TaskAssigned', () => {
    expect(() => inboxAssignmentOf(released, [created, first, released])).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('assignments handed over by the dispatcher', () => {
  const assignment = {
    kind: 'task.assigned',
    taskId: 't1',
    runId: null,
    stageId: null,
    action: 'review',
    inputs: {},
    priority: 'P1',
    leaseEpoch: 2,
    attempt: 1,
    assignedAt: T0,
  } as const;

  it('gives each one once, for its own lease only', () => {
    const prepared = new PreparedAssignments();
    prepared.add(assignment);
    expect(prepared.take('t1', 1)).toBeUndefined();
    expect(prepared.take('t1', 2)).toEqual(assignment);
    expect(prepared.take('t1', 2)).toBeUndefined();
  });

  it('keeps at most 10,000, dropping the oldest', () => {
    const prepared = new PreparedAssignments();
    for (let i = 0; i <= 10_000; i++) prepared.add({ ...assignment, taskId: `t${i}` });
    expect(prepared.take('t0', 2)).toBeUndefined();
    expect(prepared.take('t1', 2)).toMatchObject({ taskId: 't1' });
    expect(prepared.take('t10000', 2)).toMatchObject({ taskId: 't10000' });
  });
});
