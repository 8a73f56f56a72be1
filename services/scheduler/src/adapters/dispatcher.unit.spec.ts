import { passMayDoMore, viewOf, withApplied, type PassLeft } from './dispatcher';

const event = (type: string, taskId = 't1', streamId = `task-${taskId}`) => ({ type, streamId, data: { taskId } });
const nothingLeft: PassLeft = { waiting: false, gated: false };
const tasksWait: PassLeft = { waiting: true, gated: false };
const gated: PassLeft = { waiting: true, gated: true };
const plannedHere = (id: string) => id === 'fresh';
const none = () => false;

describe('when an applied task event wakes the dispatcher', () => {
  it('wakes it for a task created elsewhere (another replica, or with constraints), not for one a pass planned from memory', () => {
    expect(passMayDoMore([event('TaskCreated', 'other')], nothingLeft, plannedHere)).toBe(true);
    expect(passMayDoMore([event('TaskCreated', 'fresh')], nothingLeft, plannedHere)).toBe(false);
  });

  it('wakes it for a task put back in the queue, whatever the last pass left', () => {
    for (const type of ['TaskReleased', 'TaskFailed', 'TaskHandoffRejected', 'TaskUnblocked', 'TaskBlocked']) {
      expect(passMayDoMore([event(type)], nothingLeft, none)).toBe(true);
    }
  });

  it('wakes it for a completion, a cancellation or a conflict event only when tasks wait', () => {
    for (const e of [event('TaskCompleted'), event('TaskCancelled'), event('ConflictDetected', 'c1', 'conflict-c1')]) {
      expect(passMayDoMore([e], nothingLeft, none)).toBe(false);
      expect(passMayDoMore([e], tasksWait, none)).toBe(true);
    }
  });

  it('wakes it for a completion or cancellation only when the slot it frees may serve a task left waiting', () => {
    const freedServesNone = () => false;
    for (const e of [event('TaskCompleted'), event('TaskCancelled')]) {
      expect(passMayDoMore([e], tasksWait, none, freedServesNone)).toBe(false);
      expect(passMayDoMore([e], tasksWait, none, () => true)).toBe(true);
      // A pass that stopped for the read model goes on whatever was freed.
      expect(passMayDoMore([e], gated, none, freedServesNone)).toBe(true);
    }
    // Conflict events are not slots: they wake it whenever tasks wait.
    expect(passMayDoMore([event('ConflictDetected', 'c1', 'conflict-c1')], tasksWait, none, freedServesNone)).toBe(true);
  });

  it('wakes it for an applied assignment only when a pass stopped for the read model', () => {
    expect(passMayDoMore([event('TaskAssigned')], tasksWait, none)).toBe(false);
    expect(passMayDoMore([event('TaskAssigned')], gated, none)).toBe(true);
  });

  it('never wakes it for an acceptance or progress, and wakes it for a type it does not know', () => {
    expect(passMayDoMore([event('TaskAccepted'), event('TaskProgressReported')], gated, none)).toBe(false);
    expect(passMayDoMore([event('TaskSomethingNew')], nothingLeft, none)).toBe(true);
  });

  it('wakes it when any event of a page may', () => {
    expect(passMayDoMore([event('TaskAccepted'), event('TaskCreated', 'fresh'), event('TaskCreated', 'other')], nothingLeft, plannedHere)).toBe(true);
  });
});

describe("the dispatcher's view of who holds which task", () => {
  const agent = (agentId: string, held: string[]) => ({ agentId, role: 'r', capabilities: [], maxConcurrency: 3, available: true, load: held.length, lastAssignedAt: null, held });
  const assigned = (taskId: string, agentId: string) => ({ type: 'TaskAssigned', streamId: `task-${taskId}`, data: { taskId, agentId } });
  const holders = (view: ReturnType<typeof withApplied>) => (view === null ? null : Object.fromEntries(view.holder));

  it('starts from the tasks each agent holds as read', () => {
    expect(holders(viewOf([agent('a1', ['t1', 't2']), agent('a2', [])], 0))).toEqual({ t1: 'a1', t2: 'a1' });
  });

  it('follows assignments and the events that end a hold, and ignores those that keep it', () => {
    const view = viewOf([agent('a1', ['t1', 't2', 't3', 't4'])], 0);
    const ends = ['TaskCompleted', 'TaskFailed', 'TaskReleased', 'TaskCancelled'].map((type, i) => event(type, `t${i + 1}`));
    const keeps = ['TaskAccepted', 'TaskProgressReported', 'TaskBlocked', 'TaskUnblocked', 'TaskHandoffRejected', 'TaskCreated'].map((type) => event(type, 't9'));
    expect(holders(withApplied(view, [assigned('t9', 'a2'), ...keeps, ...ends]))).toEqual({ t9: 'a2' });
  });

  it('converges when events the read already showed are applied again over it', () => {
    // Read after t1 went to a1 and completed, and t2 went to a2: replaying those events changes nothing.
    const view = viewOf([agent('a2', ['t2'])], 0);
    expect(holders(withApplied(view, [assigned('t1', 'a1'), assigned('t2', 'a2'), event('TaskCompleted', 't1')]))).toEqual({ t2: 'a2' });
  });

  it('is dropped (null) for a task event of a type it does not know, and unchanged by other streams', () => {
    expect(withApplied(viewOf([agent('a1', ['t1'])], 0), [event('TaskTeleported')])).toBeNull();
    expect(holders(withApplied(viewOf([agent('a1', ['t1'])], 0), [event('ConflictDetected', 'c1', 'conflict-c1')]))).toEqual({ t1: 'a1' });
  });
});
