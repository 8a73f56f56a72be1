import { isUuid } from '../append-validation';
import { commandEventId } from './deterministic-id';

describe('commandEventId', () => {
  it('is a stable version-5 UUID per (stream, command, index)', () => {
    const a = commandEventId('task-1', 'cmd-1', 0);
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('5');
    expect(['8', '9', 'a', 'b']).toContain(a[19]);
    expect(commandEventId('task-1', 'cmd-1', 0)).toBe(a);
    expect(new Set([a, commandEventId('task-1', 'cmd-1', 1), commandEventId('task-2', 'cmd-1', 0), commandEventId('task-1', 'cmd-2', 0)]).size).toBe(4);
  });

  it('does not confuse ids whose parts concatenate alike', () => {
    expect(commandEventId('a-b', 'c', 0)).not.toBe(commandEventId('a', 'b-c', 0));
  });
});
