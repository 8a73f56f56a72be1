import { RunState, type EtaView, type GetMetricsReply, type MetricFigure, type RunSummary } from '@baton/contracts';
import { duration, percent, time, tokens, usd } from '../format';
import { html, type Html } from '../html';
import type { Part } from '../dashboard.data';
import { badge, unavailable } from './layout';

function figure(f: MetricFigure): string {
  if (f.value === null) return '–';
  return f.unit === 'ms' ? duration(f.value) : f.unit === 'percent' ? percent(f.value) : f.unit === 'usd' ? usd(f.value) : String(f.value);
}

function target(f: MetricFigure): string {
  if (f.target === null) return 'no target';
  const value = f.unit === 'ms' ? duration(f.target.value) : f.unit === 'percent' ? `${f.target.value}%` : String(f.target.value);
  return `target ${f.target.op} ${value}`;
}

function tile(label: string, f: MetricFigure): Html {
  const state = f.met === null ? 'unknown' : f.met ? 'met' : 'missed';
  return html`<li class="tile tile-${state}"><span class="tile-label">${label}</span><span class="tile-value">${figure(f)}</span><span class="tile-target">${target(f)} · ${
    state === 'unknown' ? 'not measured yet' : state === 'met' ? 'on target' : 'off target'
  }</span></li>`;
}

/** Cycle time, handoff quality and rework rate of each workflow version, beside their targets. */
export function metricTiles(metrics: Part<GetMetricsReply>): Html {
  if (!metrics.ok) return unavailable('Metrics', metrics.error);
  const shown = metrics.value.workflows.slice(0, 4);
  if (shown.length === 0) return html`<p>No workflow has metrics yet.</p>`;
  return html`${shown.map(
    (w) => html`<section class="tiles" aria-label="Metrics of ${w.workflowId} ${w.version}"><h3>${w.workflowId} <span class="muted">v${w.version} · ${w.runs} runs</span></h3>
<ul>${tile('Cycle time', w.cycleTime)}${tile('Handoff quality', w.handoffQuality)}${tile('Rework rate', w.reworkRate)}</ul></section>`,
  )}`;
}

/** The time left as the metrics service estimates it (half of the runs finish by then), and the 95% time. */
export function etaText(e: EtaView | undefined, now: number): string {
  if (e === undefined) return '–';
  if (e.status === 'no_history' || e.p50At === null) return 'no history yet';
  const left = Date.parse(e.p50At) - now;
  return `${left > 0 ? `~${duration(left)}` : 'any moment'}${e.p95At ? ` (95%: ${time(e.p95At).slice(11)})` : ''}`;
}

export interface RunsPageData {
  readonly runs: Part<RunSummary[]>;
  readonly metrics: Part<GetMetricsReply>;
  readonly etas: Part<EtaView[]>;
  readonly filter: { readonly workflowId?: string; readonly state?: string };
  readonly now: number;
}

/** The runs page: metric tiles, filters, and one row per run. */
export function runsPage(d: RunsPageData): Html {
  const usage = new Map(d.metrics.ok ? d.metrics.value.runs.map((r) => [r.runId, r.usage]) : []);
  const etas = new Map(d.etas.ok ? d.etas.value.map((e) => [e.runId, e]) : []);
  const workflows = d.metrics.ok ? [...new Set(d.metrics.value.workflows.map((w) => w.workflowId))] : [];
  const rows = d.runs.ok
    ? d.runs.value.map((r) => {
        const u = usage.get(r.runId);
        const end = r.endTime === null ? d.now : Date.parse(r.endTime);
        return html`<tr data-run="${r.runId}">
<td data-label="Run"><a href="/dashboard/runs/${encodeURIComponent(r.runId)}">${r.runId}</a></td>
<td data-label="Status">${badge(r.state)}</td>
<td data-label="Workflow">${r.workflowId} <span class="muted">v${r.version}</span></td>
<td data-label="Started">${time(r.startTime)}</td>
<td data-label="Duration">${duration(end - Date.parse(r.startTime))}</td>
<td data-label="ETA">${r.state === 'running' || r.state === 'paused' ? etaText(etas.get(r.runId), d.now) : '–'}</td>
<td data-label="Tokens">${u ? tokens(u.tokens) : '–'}</td>
<td data-label="Cost">${u ? usd(u.costUsd) : '–'}</td>
</tr>`;
      })
    : [];
  return html`<h1>Runs</h1>
<section aria-labelledby="metrics-h"><h2 id="metrics-h">Metrics</h2>${metricTiles(d.metrics)}</section>
<section aria-labelledby="runs-h">
<h2 id="runs-h">Runs</h2>
<form class="filters" method="get" action="/dashboard" role="search" aria-label="Filter runs">
  <label>Workflow <input name="workflowId" value="${d.filter.workflowId ?? ''}" list="workflow-ids" autocomplete="off" pattern="[A-Za-z0-9._-]*"></label>
  <datalist id="workflow-ids">${workflows.map((w) => html`<option value="${w}"></option>`)}</datalist>
  <label>Status <select name="state"><option value="">any</option>${RunState.options.map((s) => html`<option value="${s}"${d.filter.state === s ? html` selected` : ''}>${s}</option>`)}</select></label>
  <button type="submit">Filter</button>
</form>
${
  d.runs.ok
    ? d.runs.value.length === 0
      ? html`<p>No runs match.</p>`
      : html`<table class="cards runs"><caption class="sr-only">Runs, newest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Workflow</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">ETA</th><th scope="col">Tokens</th><th scope="col">Cost</th></tr></thead>
<tbody>${rows}</tbody></table>`
    : unavailable('Runs', d.runs.error)
}
</section>`;
}
