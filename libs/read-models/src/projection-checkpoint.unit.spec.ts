import { ageMs, isAfterCheckpoint, laterOf, matchesFilter, occurredAtOf, positionFromColumns, unhandledProjectionEvent } from './projection-checkpoint';

describe('isAfterCheckpoint', () => {
  it('applies everything when nothing was applied yet', () => {
    expect(isAfterCheckpoint(undefined, { commit: 0, prepare: 0 })).toBe(true);
  });

  it('skips the checkpoint itself and anything before it', () => {
    const cp = { commit: 10, prepare: 3 };
    expect(isAfterCheckpoint(cp, { commit: 10, prepare: 3 })).toBe(false);
    expect(isAfterCheckpoint(cp, { commit: 10, prepare: 2 })).toBe(false);
    expect(isAfterCheckpoint(cp, { commit: 9, prepare: 99 })).toBe(false);
  });

  it('applies positions strictly after the checkpoint, commit first then prepare', () => {
    const cp = { commit: 10, prepare: 3 };
    expect(isAfterCheckpoint(cp, { commit: 10, prepare: 4 })).toBe(true);
    expect(isAfterCheckpoint(cp, { commit: 11, prepare: 0 })).toBe(true);
  });
});

describe('matchesFilter', () => {
  const event = { streamId: 'agent-7', type: 'AgentRegistered' };

  it('matches everything without a filter or with empty lists', () => {
    expect(matchesFilter(undefined, event)).toBe(true);
    expect(matchesFilter({ categories: [], eventTypes: [] }, event)).toBe(true);
  });

  it('matches by stream category', () => {
    expect(matchesFilter({ categories: ['agent'] }, event)).toBe(true);
    expect(matchesFilter({ categories: ['task'] }, event)).toBe(false);
  });

  it('needs both category and type when both are given', () => {
    expect(matchesFilter({ categories: ['agent'], eventTypes: ['AgentRegistered'] }, event)).toBe(true);
    expect(matchesFilter({ categories: ['agent'], eventTypes: ['AgentRetired'] }, event)).toBe(false);
  });
});

describe('ageMs', () => {
  const now = new Date('2026-11-22T10:00:05.000Z');

  it('measures from the event time to now', () => {
    expect(ageMs(now, '2026-11-22T10:00:00.000Z')).toBe(5000);
    expect(ageMs(now, new Date('2026-11-22T10:00:04.500Z'))).toBe(500);
  });

  it('is undefined without a valid time and never negative', () => {
    expect(ageMs(now, undefined)).toBeUndefined();
    expect(ageMs(now, 'yesterday-ish')).toBeUndefined();
    expect(ageMs(now, '2026-11-22T10:00:06.000Z')).toBe(0);
  });
});

describe('positionFromColumns', () => {
  it('reads int8 text columns as numbers', () => {
    expect(positionFromColumns('42', '7')).toEqual({ commit: 42, prepare: 7 });
  });

  it('is undefined while the checkpoint is cleared', () => {
    expect(positionFromColumns(null, null)).toBeUndefined();
    expect(positionFromColumns('1', null)).toBeUndefined();
  });
});

describe('laterOf', () => {
  it('picks the later position, or whichever is defined', () => {
    const a = { commit: 5, prepare: 1 };
    const b = { commit: 5, prepare: 2 };
    expect(laterOf(a, b)).toBe(b);
    expect(laterOf(b, a)).toBe(b);
    expect(laterOf(undefined, a)).toBe(a);
    expect(laterOf(a, undefined)).toBe(a);
    expect(laterOf(undefined, undefined)).toBeUndefined();
  });
});

describe('occurredAtOf', () => {
  it('reads metadata.occurredAt as a Date', () => {
    expect(occurredAtOf({ eventId: 'e1', streamId: 'task-1', metadata: { occurredAt: '2026-01-01T00:00:00.000Z' } })).toEqual(new Date('2026-01-01T00:00:00.000Z'));
  });

  it('refuses an invalid time as INTERNAL, naming the event', () => {
    expect(() => occurredAtOf({ eventId: 'e1', streamId: 'task-1', metadata: { occurredAt: 'not a time' } })).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: 'event e1 of task-1 has no valid occurredAt', details: { eventId: 'e1' } }),
    );
  });
});

describe('unhandledProjectionEvent', () => {
  it('is an INTERNAL error naming the projection and the event type', () => {
    expect(() => unhandledProjectionEvent('tasks', { type: 'TaskTeleported' } as never)).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: 'tasks projection does not handle TaskTeleported' }),
    );
  });
});
