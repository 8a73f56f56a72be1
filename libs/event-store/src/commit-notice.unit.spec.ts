import { categoriesOf, mergeNotices, noticeConcerns, noticePayload, parseNotice } from './commit-notice';

describe('commit notices (the NOTIFY payload)', () => {
  it('carries the commit and the categories written, and reads back the same', () => {
    const notice = { commit: 812, categories: categoriesOf(['task-a', 'run-b', 'task-c'])! };
    expect(noticePayload(notice)).toBe('812:task,run');
    expect(parseNotice('812:task,run')).toEqual({ commit: 812, categories: new Set(['task', 'run']) });
  });

  it('a bare commit, an unknown list or a payload that does not parse means any category', () => {
    expect(parseNotice('812')).toEqual({ commit: 812 });
    expect(parseNotice('812:')).toEqual({ commit: 812 });
    expect(parseNotice('812:task,,run')).toEqual({ commit: 812 });
    expect(parseNotice('garbage')).toEqual({});
    expect(parseNotice(undefined)).toEqual({});
    expect(parseNotice('-3:task')).toEqual({});
  });

  it('leaves out a list it could not carry: a category with a separator, an empty one, a list too long', () => {
    expect(categoriesOf(['a,b-1'])).toBeUndefined();
    expect(categoriesOf(['x:y-1'])).toBeUndefined();
    expect(categoriesOf(['-1'])).toBeUndefined();
    expect(noticePayload({ commit: 9 })).toBe('9');
    const many = new Set(Array.from({ length: 500 }, (_, i) => `category${i}`));
    expect(noticePayload({ commit: 9, categories: many })).toBe('9');
  });

  it('merges two notices into the later commit and the union, or any when one is unknown', () => {
    expect(mergeNotices(undefined, { commit: 3 })).toEqual({ commit: 3 });
    expect(mergeNotices({ commit: 3, categories: new Set(['task']) }, { commit: 2, categories: new Set(['run']) })).toEqual({ commit: 3, categories: new Set(['task', 'run']) });
    expect(mergeNotices({ commit: 3, categories: new Set(['task']) }, { commit: 4 })).toEqual({ commit: 4 });
  });

  it('concerns a filter unless both name categories and share none', () => {
    const task = { commit: 1, categories: new Set(['task']) };
    expect(noticeConcerns(task, { categories: ['agent'] })).toBe(false);
    expect(noticeConcerns(task, { categories: ['agent', 'task'] })).toBe(true);
    expect(noticeConcerns(task, undefined)).toBe(true);
    expect(noticeConcerns(task, { eventTypes: ['AgentRegistered'] })).toBe(true);
    expect(noticeConcerns({ commit: 1 }, { categories: ['agent'] })).toBe(true);
  });
});
