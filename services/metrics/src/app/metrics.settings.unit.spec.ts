import { costOf, usageOf } from './metrics.settings';

describe('price table', () => {
  it('prices tokens by model, `*` for any other, and leaves unpriced models without a cost', () => {
    expect(costOf({ 'claude-sonnet': 3 }, 'claude-sonnet', 2_000_000)).toBe(6);
    expect(costOf({ '*': 1 }, null, 500_000)).toBe(0.5);
    expect(costOf({}, 'gpt', 10)).toBeNull();
    expect(usageOf({ a: 2 }, [{ model: 'a', tokens: 1_000_000 }, { model: 'a', tokens: 500_000 }])).toEqual({ tokens: 1_500_000, costUsd: 3 });
    expect(usageOf({ a: 2 }, [{ model: 'a', tokens: 1_000_000 }, { model: 'b', tokens: 1 }])).toEqual({ tokens: 1_000_001, costUsd: null });
    expect(usageOf({}, [])).toEqual({ tokens: 0, costUsd: 0 });
  });
});
