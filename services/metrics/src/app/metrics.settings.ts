import type { MetricTarget } from '@baton/contracts';

/** The workflow metrics' targets (what the orchestration system's operators aim for). */
export interface MetricTargets {
  readonly cycleTime: MetricTarget;
  readonly handoffQuality: MetricTarget;
  readonly reworkRate: MetricTarget;
  readonly blockerFrequency: MetricTarget;
  readonly parallelEfficiency: MetricTarget;
  readonly agentIdleTime: MetricTarget;
  readonly firstPassAcceptance: MetricTarget;
}

const DAY = 86_400_000;

/**
 * Cycle time under 14 days, handoff quality over 90 %, rework under 10 %, fewer than 2 blockers
 * per feature, parallel efficiency of 60 %, agent idle time under 5 %; first-pass acceptance is
 * held to the handoff quality target.
 */
export const DEFAULT_TARGETS: MetricTargets = {
  cycleTime: { op: '<', value: 14 * DAY },
  handoffQuality: { op: '>', value: 90 },
  reworkRate: { op: '<', value: 10 },
  blockerFrequency: { op: '<', value: 2 },
  parallelEfficiency: { op: '>=', value: 60 },
  agentIdleTime: { op: '<', value: 5 },
  firstPassAcceptance: { op: '>', value: 90 },
};

/** USD per million tokens, by model; `*` prices every model not listed. A model without a price has no cost. */
export type PriceTable = Readonly<Record<string, number>>;

/** The cost of `tokens` on `model` (null when the price table names neither the model nor `*`). */
export function costOf(prices: PriceTable, model: string | null, tokens: number): number | null {
  const price = prices[model ?? 'unknown'] ?? prices['*'];
  return price === undefined ? null : (tokens / 1_000_000) * price;
}

/** Tokens and cost of usage rows; the cost is null if any tokens have no price. */
export function usageOf(prices: PriceTable, rows: readonly { readonly model: string | null; readonly tokens: number }[]): { tokens: number; costUsd: number | null } {
  let tokens = 0;
  let cost: number | null = 0;
  for (const r of rows) {
    tokens += r.tokens;
    const c = costOf(prices, r.model, r.tokens);
    cost = cost === null || c === null ? (r.tokens === 0 ? cost : null) : cost + c;
  }
  return { tokens, costUsd: cost };
}
