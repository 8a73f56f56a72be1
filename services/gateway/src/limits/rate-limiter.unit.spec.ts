import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with a Retry-After, then refills at the rate', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 4, () => now);
    for (let i = 0; i < 4; i++) expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterS: 1 });
    now += 500;
    expect(limiter.take('a')).toEqual({ allowed: true });
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('keeps one key from spending another key’s tokens', () => {
    const limiter = new RateLimiter(1, 2, () => 0);
    limiter.take('flood');
    limiter.take('flood');
    expect(limiter.take('flood').allowed).toBe(false);
    expect(limiter.take('other')).toEqual({ allowed: true });
  });

  it('forgets idle buckets, which start full again', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 1, () => now);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    now += 5000;
    expect(limiter.take('b').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: true });
  });

  it('tells what take would answer without spending a token', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 1, () => now);
    expect(limiter.peek('a')).toEqual({ allowed: true });
    expect(limiter.peek('a')).toEqual({ allowed: true });
    limiter.take('a');
    expect(limiter.peek('a')).toEqual({ allowed: false, retryAfterS: 1 });
    expect(limiter.peek('a')).toEqual(limiter.take('a'));
    now += 1000;
    expect(limiter.peek('a')).toEqual({ allowed: true });
  });
});
