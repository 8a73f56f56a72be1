import type { HandoffVerdict } from '@baton/contracts';

/** Label value of `spec` for a handoff no spec applied to (quality gates or criteria only). */
export const NO_SPEC = 'none';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: readonly (readonly [string, string])[]): string {
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/**
 * The handoff-validator's own counters, in the Prometheus text format (served on /metrics after
 * the process metrics). They feed "handoff quality" (accepted / all) and "rework rate":
 *
 * - `baton_handoffs_total{status,spec}`: handoffs recorded, by verdict and spec (a handoff
 *   checked against two specs counts once under each; `spec="none"` when no spec applied);
 * - `baton_handoff_rule_failures_total{rule}`: failing rules, by the rule as written.
 *
 * Counted when a verdict is recorded, never for a repeated handoff id. Per process, from zero at
 * start (Prometheus `rate`/`increase` handle restarts).
 */
export class HandoffMetrics {
  readonly #handoffs = new Map<string, { status: string; spec: string; count: number }>();
  readonly #ruleFailures = new Map<string, number>();

  /** Counts one newly recorded verdict. */
  recordVerdict(verdict: HandoffVerdict): void {
    for (const spec of verdict.specIds.length > 0 ? verdict.specIds : [NO_SPEC]) {
      const key = JSON.stringify([verdict.status, spec]);
      const entry = this.#handoffs.get(key) ?? { status: verdict.status, spec, count: 0 };
      entry.count += 1;
      this.#handoffs.set(key, entry);
    }
    for (const failure of verdict.failures) this.#ruleFailures.set(failure.rule, (this.#ruleFailures.get(failure.rule) ?? 0) + 1);
  }

  /** `baton_handoffs_total{status,spec}` now. */
  handoffsTotal(status: string, spec: string): number {
    return this.#handoffs.get(JSON.stringify([status, spec]))?.count ?? 0;
  }

  /** `baton_handoff_rule_failures_total{rule}` now. */
  ruleFailuresTotal(rule: string): number {
    return this.#ruleFailures.get(rule) ?? 0;
  }

  /** The counters in the Prometheus text exposition format (0.0.4), sorted by labels. */
  render(): string {
    const lines = [
      '# HELP baton_handoffs_total Handoffs recorded by the handoff-validator, by verdict and handoff spec.',
      '# TYPE baton_handoffs_total counter',
      ...[...this.#handoffs.values()]
        .sort((a, b) => a.status.localeCompare(b.status) || a.spec.localeCompare(b.spec))
        .map((e) => `baton_handoffs_total${labels([['status', e.status], ['spec', e.spec]])} ${e.count}`),
      '# HELP baton_handoff_rule_failures_total Failing rules of rejected handoffs, by rule.',
      '# TYPE baton_handoff_rule_failures_total counter',
      ...[...this.#ruleFailures.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([rule, count]) => `baton_handoff_rule_failures_total${labels([['rule', rule]])} ${count}`),
    ];
    return lines.join('\n') + '\n';
  }
}
