import { RecentMap } from './recent-map';

describe('RecentMap', () => {
  it('keeps at most maxEntries, dropping the least recently used first (a read counts as a use)', () => {
    const m = new RecentMap<string, number>({ maxEntries: 2 });
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(1);
    expect(m.get('c')).toBe(3);
    expect(m.size).toBe(2);
  });

  it('keeps the total weight within maxWeight, and does not keep a value heavier than it', () => {
    const m = new RecentMap<string, string>({ maxEntries: 10, maxWeight: 10, weigh: (v) => v.length });
    m.set('a', 'xxxx');
    m.set('b', 'yyyy');
    m.set('c', 'zzzz');
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([undefined, 'yyyy', 'zzzz']);
    m.set('d', 'w'.repeat(11));
    expect(m.get('d')).toBeUndefined();
    expect(m.size).toBe(2);
    // Replacing a value re-weighs it: the old weight is given back.
    m.set('b', 'y');
    m.set('e', 'eeeee');
    expect([m.get('b'), m.get('c'), m.get('e')]).toEqual(['y', 'zzzz', 'eeeee']);
  });

  it('keeps nothing with maxEntries 0', () => {
    const m = new RecentMap<string, number>({ maxEntries: 0 });
    m.set('a', 1);
    expect(m.get('a')).toBeUndefined();
    expect(m.size).toBe(0);
  });
});
