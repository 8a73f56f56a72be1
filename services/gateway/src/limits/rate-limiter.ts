import type { Principal } from '../auth/principal';

/** Outcome of one {@link RateLimiter.take}. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterS: number };

const ALLOWED: RateDecision = Object.freeze({ allowed: true });

/** The bucket key of a principal within a route class's limiter: people and service accounts never share one. */
export function rateKeyOf(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets, one per key (a principal and a route class): `ratePerSecond` tokens a second, up
 * to `burst`. A key that floods empties only its own bucket, and a refused request costs a map
 * lookup and no call to any service (see rate-gate.ts), so the others keep their latency. The buckets are per
 * replica: with N replicas behind a balancer a principal gets up to N times the rate, which the
 * per-replica figure in configuration accounts for.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    /** Buckets kept at most; the fullest (idle) ones are dropped first when swept. */
    private readonly maxKeys = 100_000,
  ) {}

  take(key: string): RateDecision {
    const now = this.now();
    this.sweep(now);
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return ALLOWED;
    }
    return this.refusal(b.tokens);
  }

  /**
   * What {@link take} would answer now, without spending a token: a check before costly work
   * (signature checks for an address's failed sign-ins, a refusal at the door in rate-gate.ts).
   */
  peek(key: string): RateDecision {
    const b = this.buckets.get(key);
    if (b === undefined) return ALLOWED;
    const tokens = Math.min(this.burst, b.tokens + ((this.now() - b.at) / 1000) * this.ratePerSecond);
    return tokens >= 1 ? ALLOWED : this.refusal(tokens);
  }

  private refusal(tokens: number): RateDecision {
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / this.ratePerSecond)) };
  }

  /** Forgets buckets that have refilled (they start full anyway), at most once a second. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000 && this.buckets.size < this.maxKeys) return;
    this.lastSweep = now;
    const fullAfterMs = (this.burst / this.ratePerSecond) * 1000;
    for (const [key, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(key);
  }
}
