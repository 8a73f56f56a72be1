/**
 * The escalation metrics in the Prometheus text format:
 * - `baton_escalations_total{trigger,level}` (counter): escalations that reached each level;
 * - `baton_escalations_open{level}` (gauge): escalations not yet resolved, every level listed.
 */
export function formatEscalationMetrics(reached: readonly { trigger: string; level: number; n: number }[], openByLevel: ReadonlyMap<number, number>): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  const lines = [
    '# HELP baton_escalations_total Escalations that reached a level (raised at it or climbed to it), by trigger.',
    '# TYPE baton_escalations_total counter',
    ...reached.map((r) => `baton_escalations_total{trigger="${esc(r.trigger)}",level="${r.level}"} ${r.n}`),
    '# HELP baton_escalations_open Escalations not yet resolved, by current level.',
    '# TYPE baton_escalations_open gauge',
    ...[0, 1, 2, 3].map((level) => `baton_escalations_open{level="${level}"} ${openByLevel.get(level) ?? 0}`),
  ];
  return lines.join('\n') + '\n';
}
