import { liveEventOf, matches } from './live-events';

const headersOf = (h: Record<string, string>) => (name: string) => h[name] ?? '';

describe('live events', () => {
  it('reads an event from the relayed headers: a run stream names its run, other streams their correlated run', () => {
    expect(liveEventOf(headersOf({ 'Baton-Event-Type': 'StageStarted', 'Baton-Stream-Id': 'run-r1', 'Baton-Position': '5/5' }))).toEqual({
      type: 'StageStarted',
      streamId: 'run-r1',
      category: 'run',
      runId: 'r1',
      position: '5/5',
    });
    expect(liveEventOf(headersOf({ 'Baton-Event-Type': 'TaskProgressReported', 'Baton-Stream-Id': 'task-t1', 'Baton-Correlation-Id': 'r1' }))).toMatchObject({ category: 'task', runId: 'r1', position: null });
    expect(liveEventOf(headersOf({ 'Baton-Event-Type': 'AgentHeartbeat', 'Baton-Stream-Id': 'agent-a1' }))).toMatchObject({ category: 'agent', runId: null });
    expect(liveEventOf(headersOf({ 'Baton-Stream-Id': 'agent-a1' }))).toBeUndefined();
  });

  it('passes a page the categories it asked for, of its run only when it names one', () => {
    const task = { type: 'TaskCompleted', streamId: 'task-t1', category: 'task', runId: 'r1', position: null };
    expect(matches({ categories: new Set(['run', 'task']), runId: null }, task)).toBe(true);
    expect(matches({ categories: new Set(['run', 'task']), runId: 'r1' }, task)).toBe(true);
    expect(matches({ categories: new Set(['run', 'task']), runId: 'r2' }, task)).toBe(false);
    expect(matches({ categories: new Set(['agent']), runId: null }, task)).toBe(false);
  });
});
