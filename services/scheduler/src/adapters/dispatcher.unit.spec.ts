import { passMayDoMore, type PassLeft } from './dispatcher';

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
