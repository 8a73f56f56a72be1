import { agentIdleTime, figure, meets, parallelEfficiency, percent, quantile, timeWithAtLeast } from './figures';

describe('workflow figures', () => {
  it('judges a value against its target, and says nothing without either', () => {
    expect(meets(10, { op: '<', value: 14 })).toBe(true);
    expect(meets(14, { op: '<', value: 14 })).toBe(false);
    expect(meets(14, { op: '<=', value: 14 })).toBe(true);
    expect(meets(90, { op: '>', value: 90 })).toBe(false);
    expect(meets(60, { op: '>=', value: 60 })).toBe(true);
    expect(meets(null, { op: '<', value: 1 })).toBeNull();
    expect(figure(5, 'count', null)).toEqual({ value: 5, unit: 'count', target: null, met: null });
    expect(percent(1, 0)).toBeNull();
    expect(percent(3, 4)).toBe(75);
  });

  it('takes the nearest-rank quantile', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([40, 10, 30, 20], 0.5)).toBe(20);
    expect(quantile([40, 10, 30, 20], 0.95)).toBe(40);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('measures overlap: two branches at once, then one, then a gap nobody worked in', () => {
    // Run window 0..100: tasks a 0..40 and b 20..60 overlap 20..40; c 80..100; 60..80 nobody works.
    const tasks = [
      { start: 0, end: 40 },
      { start: 20, end: 60 },
      { start: 80, end: 100 },
    ];
    const window = { start: 0, end: 100 };
    expect(timeWithAtLeast(tasks, 1, window)).toBe(80);
    expect(timeWithAtLeast(tasks, 2, window)).toBe(20);
    expect(parallelEfficiency(tasks, window)).toBe(25);
    expect(agentIdleTime(tasks, window)).toBe(20);
  });

  it('does not count back-to-back tasks as parallel, and clips to the window', () => {
    const tasks = [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 15, end: 50 },
    ];
    expect(timeWithAtLeast(tasks, 2, { start: 0, end: 30 })).toBe(5);
    expect(parallelEfficiency([], { start: 0, end: 10 })).toBeNull();
    expect(agentIdleTime([], { start: 0, end: 10 })).toBe(100);
    expect(agentIdleTime([], { start: 10, end: 10 })).toBeNull();
  });
});
