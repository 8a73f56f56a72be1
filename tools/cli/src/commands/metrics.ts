import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { GetMetrics, type GetMetricsReply, type MetricFigure, type PerformerMetricsView } from '@baton/contracts';
import { parseDuration } from '@baton/workflow-dsl';
import { parseName, parsePositiveInt } from '../args';
import type { CliContext } from '../context';
import { formatDuration, plain, table, toneOf, type Paint } from '../format';

/** `--range 1h`: a duration as workflows write them (`30m`, `4 hours`, `2d`, `PT1H`). */
export function parseRange(text: string): number {
  const d = parseDuration(text);
  if (!d.ok) throw new InvalidArgumentError(d.reason);
  return d.ms;
}

/** A figure as people read it: the value in its unit, then its target, coloured by whether it is met. */
export function formatFigure(f: MetricFigure, paint: Paint = plain): string {
  if (f.value === null) return paint('-', 'muted');
  const show = (v: number): string => {
    switch (f.unit) {
      case 'ms':
        return formatDuration(v);
      case 'percent':
        return `${v.toFixed(1)}%`;
      case 'usd':
        return `$${v.toFixed(4)}`;
      default:
        return Number.isInteger(v) ? String(v) : v.toFixed(2);
    }
  };
  const text = f.target === null ? show(f.value) : `${show(f.value)} (${f.target.op} ${show(f.target.value)})`;
  return f.met === null ? text : paint(text, f.met ? 'good' : 'bad');
}

const usage = (u: { tokens: number; costUsd: number | null }): string => `${u.tokens}${u.costUsd === null ? '' : ` / $${u.costUsd.toFixed(4)}`}`;

function performersTable(title: string, rows: readonly PerformerMetricsView[], paint: Paint): string {
  return [
    paint(title, 'strong'),
    table(
      [title === 'Agents' ? 'AGENT' : 'MODEL', 'EXECUTIONS', 'ERRORS', 'HANDOFFS', 'FIRST-PASS', 'TOKENS / COST', 'COST PER ACCEPTED', 'MEAN LATENCY'],
      rows.map((p) => [
        p.key,
        String(p.executions),
        String(p.errors),
        String(p.handoffs),
        formatFigure(p.firstPassAcceptance, paint),
        usage(p.usage),
        formatFigure(p.costPerAcceptedHandoff, paint),
        p.meanLatencyMs === null ? '-' : formatDuration(p.meanLatencyMs),
      ]),
      paint,
    ),
  ].join('\n');
}

/** The metrics report for people: workflow versions, runs (with ETAs), agents and models. */
export function formatMetrics(m: GetMetricsReply, paint: Paint = plain): string {
  const workflows = table(
    ['WORKFLOW', 'VERSION', 'RUNS', 'CYCLE TIME', 'HANDOFF QUALITY', 'REWORK RATE', 'BLOCKERS/RUN', 'PARALLEL', 'IDLE', 'TOKENS / COST'],
    m.workflows.map((w) => [
      w.workflowId,
      w.version,
      `${w.runs} (${w.succeeded}/${w.finished} ok)`,
      formatFigure(w.cycleTime, paint),
      formatFigure(w.handoffQuality, paint),
      formatFigure(w.reworkRate, paint),
      formatFigure(w.blockerFrequency, paint),
      formatFigure(w.parallelEfficiency, paint),
      formatFigure(w.agentIdleTime, paint),
      usage(w.usage),
    ]),
    paint,
  );
  const runs = table(
    ['RUN', 'WORKFLOW', 'STATUS', 'CYCLE TIME', 'HANDOFF QUALITY', 'REWORK RATE', 'BLOCKERS', 'ETA (50% / 95%)'],
    m.runs.map((r) => [
      r.runId,
      `${r.workflowId}@${r.version}`,
      paint(r.status, toneOf(r.status)),
      formatFigure(r.cycleTime, paint),
      formatFigure(r.handoffQuality, paint),
      formatFigure(r.reworkRate, paint),
      formatFigure(r.blockerFrequency, paint),
      r.eta === null ? '' : r.eta.status === 'no_history' ? paint('no history yet', 'muted') : `${formatDuration(r.eta.p50Ms ?? 0)} / ${formatDuration(r.eta.p95Ms ?? 0)}`,
    ]),
    paint,
  );
  return [
    m.since === null ? 'All time' : `Since ${m.since}`,
    paint('Workflows', 'strong'),
    workflows,
    paint('Runs', 'strong'),
    runs,
    performersTable('Agents', m.agents, paint),
    performersTable('Models', m.models, paint),
  ].join('\n');
}

export function registerMetricsCommand(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .description('workflow metrics beside their targets (cycle time, handoff quality, rework, blockers, parallel efficiency, idle time), ETAs, and per agent and model first-pass acceptance and cost')
    .addOption(new Option('--agent <agentId>', 'only this agent (its executions, and the runs it worked in)').argParser(parseName))
    .addOption(new Option('--workflow <workflowId>', 'only runs of this workflow'))
    .addOption(new Option('--range <duration>', 'only the last <duration> (1h, 30m, 7d)').argParser(parseRange))
    .addOption(new Option('--limit <n>', 'at most this many runs listed (1-500)').argParser((t) => Math.min(parsePositiveInt(t), 500)).default(50))
    .action(async (opts) => {
      const query = {
        limit: opts.limit,
        ...(opts.workflow === undefined ? {} : { workflowId: opts.workflow }),
        ...(opts.agent === undefined ? {} : { agentId: opts.agent }),
        ...(opts.range === undefined ? {} : { rangeMs: opts.range }),
      };
      await ctx.printOne(GetMetrics, query, (reply, _now, paint) => formatMetrics(reply, paint));
    });
}
