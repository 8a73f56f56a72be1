import type { AgentInboxAssignment } from '@baton/contracts';
import { AssignmentWaiters } from './assignment-waiters';

const T0 = '2026-12-07T09:00:00.000Z';

function assignment(taskId: string): AgentInboxAssignment {
  return { kind: 'task.assigned', taskId, runId: null, stageId: null, action: 'review', inputs: {}, priority: 'P1', leaseEpoch: 1, attempt: 1, assignedAt: T0 };
}

describe('agents waiting for their next assignment', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('hands an assignment to the newest waiting request of that agent (an older one may be left by a process that restarted), with the task trace', async () => {
    const w = new AssignmentWaiters();
    const second = w.wait('a1', 20_000);
    const first = w.wait('a1', 20_000);
    const other = w.wait('a2', 20_000);
    expect(w.waiting).toBe(3);
    expect(w.offer('a1', assignment('t1'), { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).toBe(true);
    await expect(first).resolves.toEqual({ assignment: assignment('t1'), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(w.offer('a1', assignment('t2'))).toBe(true);
    await expect(second).resolves.toEqual({ assignment: assignment('t2') });
    expect(w.waiting).toBe(1);
    w.releaseAll();
    await expect(other).resolves.toEqual({ assignment: null });
  });

  it('says no when the agent has no request waiting, so the assignment goes to the inbox', () => {
    const w = new AssignmentWaiters();
    void w.wait('a2', 20_000);
    expect(w.offer('a1', assignment('t1'))).toBe(false);
  });

  it('answers with no assignment after waitMs, and at once for 0, and forgets the request', async () => {
    const w = new AssignmentWaiters();
    await expect(w.wait('a1', 0)).resolves.toEqual({ assignment: null });
    const waiting = w.wait('a1', 1000);
    jest.advanceTimersByTime(999);
    expect(w.waiting).toBe(1);
    jest.advanceTimersByTime(1);
    await expect(waiting).resolves.toEqual({ assignment: null });
    expect(w.waiting).toBe(0);
    expect(w.offer('a1', assignment('t1'))).toBe(false);
  });

  it('answers every request with no assignment when the lease is lost, and takes new ones after', async () => {
    const w = new AssignmentWaiters();
    const a = w.wait('a1', 20_000);
    const b = w.wait('a2', 20_000);
    w.releaseAll();
    await expect(Promise.all([a, b])).resolves.toEqual([{ assignment: null }, { assignment: null }]);
    const c = w.wait('a1', 20_000);
    expect(w.offer('a1', assignment('t3'))).toBe(true);
    await expect(c).resolves.toEqual({ assignment: assignment('t3') });
  });
});
