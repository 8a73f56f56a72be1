import type { EtaView, HandoffView, RunMetricsView, TaskView, WorkflowResultView } from '@baton/contracts';
import type { AgentRef, StageDefinition, WorkflowDefinition } from '@baton/workflow-dsl';
import { duration, time, tokens, usd } from '../format';
import { html, type Html } from '../html';
import type { Part, ReplayRunReply } from '../dashboard.data';
import type { RunAudit } from '../dashboard.data';
import { badge, unavailable, type Viewer } from './layout';
import { progressBar } from './progress.view';
import { etaText } from './runs.view';

export interface RunPageData {
  readonly runId: string;
  readonly run: Part<WorkflowResultView>;
  readonly replay: Part<ReplayRunReply>;
  readonly definition: Part<WorkflowDefinition>;
  readonly handoffs: Part<HandoffView[]>;
  readonly tasks: Part<TaskView[]>;
  readonly metrics: Part<RunMetricsView | undefined>;
  readonly eta: Part<EtaView | undefined>;
  readonly viewer: Viewer;
  readonly now: number;
}

const refText = (ref: AgentRef): string => (ref.kind === 'id' ? ref.value : `${ref.kind}:${ref.value}`);
/** Who a stage is for before it ran: its agent, its branches' agents, or the orchestrator itself. */
const agentOf = (s: StageDefinition): string => (s.agent ? refText(s.agent) : s.branches.length > 0 ? s.branches.map((b) => refText(b.agent)).join(', ') : 'orchestrator');

/** The stage's state as a person reads it: waiting for approval beats the step's status. */
function stageStatus(stageId: string, d: RunPageData): string {
  const rp = d.replay.ok ? d.replay.value.stages.find((s) => s.stageId === stageId) : undefined;
  if (rp?.awaiting) return 'awaiting_approval';
  const step = d.run.ok ? d.run.value.steps.find((s) => s.stepId === stageId) : undefined;
  return step?.status ?? rp?.status ?? 'pending';
}

function edges(s: StageDefinition): Html {
  const parts: Html[] = [];
  if (s.dependsOn.length > 0) parts.push(html`<li>after ${s.dependsOn.join(', ')}</li>`);
  if (s.next.kind === 'sequential') parts.push(html`<li>then <a href="#stage-${s.next.target}">${s.next.target}</a></li>`);
  if (s.next.kind === 'by_outcome')
    parts.push(html`<li>then by outcome: ${Object.entries(s.next.targets).map(([o, t], i) => html`${i > 0 ? ', ' : ''}${o} → <a href="#stage-${t}">${t}</a>`)}</li>`);
  if (s.loop) parts.push(html`<li class="loop">loop back to <a href="#stage-${s.loop.backTo}">${s.loop.backTo}</a>, at most ${s.loop.maxIterations} times</li>`);
  if (s.condition || s.skipIf) parts.push(html`<li>runs only when its condition holds (otherwise skipped)</li>`);
  if (s.requiresApproval.length > 0) parts.push(html`<li>needs approval by ${s.requiresApproval.join(', ')} before it runs</li>`);
  if (s.approvers.length > 0) parts.push(html`<li>approved by ${s.approvers.join(', ')} after it runs</li>`);
  return parts.length === 0 ? html`` : html`<ul class="edges">${parts}</ul>`;
}

function handoffList(list: readonly HandoffView[]): Html {
  if (list.length === 0) return html``;
  const artifacts = new Map(list.flatMap((h) => h.artifacts.map((a) => [a.hash, a] as const)));
  return html`<details class="handoffs"><summary>Handoffs: ${list.filter((h) => h.status === 'accepted').length} accepted, ${list.filter((h) => h.status === 'rejected').length} rejected</summary>
<ul>${list.map(
    (h) => html`<li>${badge(h.status)} ${h.fromAgentId} <span class="muted">${time(h.submittedAt)}${h.iteration === null ? '' : ` · iteration ${h.iteration}`}</span>${
      h.failures.length > 0 ? html`<ul class="failures">${h.failures.map((f) => html`<li><code>${f.rule}</code>: ${f.message}</li>`)}</ul>` : ''
    }</li>`,
  )}</ul>
${artifacts.size > 0 ? html`<p>Artifacts:</p><ul class="artifacts">${[...artifacts.values()].map((a) => html`<li><code>${a.name}</code> <span class="muted">${a.mediaType}, ${a.size} B, ${a.hash.slice(0, 19)}…</span></li>`)}</ul>` : ''}
</details>`;
}

function decisionForm(runId: string, stageId: string): Html {
  const base = `/api/runs/${encodeURIComponent(runId)}/stages/${encodeURIComponent(stageId)}`;
  return html`<form class="decide" data-action="decide" data-base="${base}" aria-label="Decide on ${stageId}">
<label>Reason <input name="reason" required maxlength="4000" autocomplete="off"></label>
<button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="reject" class="secondary">Reject</button>
</form>`;
}

function rerunForm(runId: string, stageId: string): Html {
  return html`<form class="rerun" method="post" action="/dashboard/actions/rerun" data-action="rerun">
<input type="hidden" name="runId" value="${runId}"><input type="hidden" name="fromStage" value="${stageId}">
<button type="submit" class="secondary">Rerun from this stage</button></form>`;
}

function node(s: StageDefinition, d: RunPageData, handoffs: readonly HandoffView[], tasks: readonly TaskView[]): Html {
  const status = stageStatus(s.id, d);
  const step = d.run.ok ? d.run.value.steps.find((x) => x.stepId === s.id) : undefined;
  const rp = d.replay.ok ? d.replay.value.stages.find((x) => x.stageId === s.id) : undefined;
  const mine = tasks.filter((t) => t.stageId === s.id);
  const attempts = mine.reduce((n, t) => Math.max(n, t.attempt), 0);
  const open = mine.filter((t) => t.status === 'assigned' || t.status === 'accepted' || t.status === 'blocked');
  const kind = s.branches.length > 0 ? `parallel: ${s.branches.length} branches, sync ${s.syncPoint.kind === 'n_of_m' ? `${s.syncPoint.n} of ${s.syncPoint.m ?? s.branches.length}` : s.syncPoint.kind.replace('_', ' ')}` : s.concurrent ? 'parallel' : null;
  return html`<li class="node st-${status}" id="stage-${s.id}" data-stage="${s.id}" data-status="${status}">
<div class="node-head"><h3>${s.id}</h3>${badge(status)}</div>
${kind ? html`<p class="kind">${kind}</p>` : ''}
<dl class="facts">
<dt>Agent</dt><dd>${step?.agent || agentOf(s)}</dd>
<dt>Attempts</dt><dd>${attempts || '–'}${step && step.runs > 1 ? ` · ran ${step.runs} times` : ''}${step?.outcome ? ` · outcome ${step.outcome}` : ''}</dd>
</dl>
${
  s.branches.length > 0
    ? html`<ul class="branches">${s.branches.map((b) => {
        const t = rp?.tasks.find((x) => x.key === b.id || x.key.endsWith(b.id));
        return html`<li class="branch st-${t?.status ?? 'pending'}">${b.id}: ${t?.agentId ?? refText(b.agent)} ${badge(t?.status ?? 'pending')}</li>`;
      })}</ul>`
    : ''
}
${open.length > 0 ? html`<ul class="tasks" aria-label="Open tasks of ${s.id}">${open.map((t) => progressBar(t, false))}</ul>` : ''}
${step?.error ? html`<p class="error">${step.error}</p>` : ''}
${rp?.awaiting ? html`<p class="awaiting">Waiting: ${rp.awaiting}</p>${d.viewer.mayApprove ? decisionForm(d.runId, s.id) : ''}` : ''}
${handoffList(handoffs.filter((h) => h.stageId === s.id))}
${edges(s)}
${d.viewer.mayOperate && d.run.ok && status !== 'pending' ? rerunForm(d.runId, s.id) : ''}
</li>`;
}

/** One run: its figures, the workflow graph coloured by stage state, and links to its audit. */
export function runPage(d: RunPageData): Html {
  if (!d.run.ok) return html`<h1>Run ${d.runId}</h1>${unavailable('This run', d.run.error)}`;
  const r = d.run.value;
  const end = r.endTime ? Date.parse(r.endTime) : d.now;
  const m = d.metrics.ok ? d.metrics.value : undefined;
  const eta = d.eta.ok ? d.eta.value : undefined;
  const handoffs = d.handoffs.ok ? d.handoffs.value : [];
  const tasks = d.tasks.ok ? d.tasks.value : [];
  const def = d.definition;
  return html`<h1>Run <code>${r.runId}</code> ${badge(r.state)}</h1>
<dl class="summary" aria-label="Run summary">
<div><dt>Workflow</dt><dd>${r.workflowId} v${r.version}</dd></div>
<div><dt>Started</dt><dd>${time(r.startTime)}</dd></div>
<div><dt>Duration</dt><dd>${duration(end - Date.parse(r.startTime))}</dd></div>
<div><dt>ETA</dt><dd>${r.state === 'running' || r.state === 'paused' ? etaText(eta, d.now) : '–'}</dd></div>
<div><dt>Tokens</dt><dd>${m ? tokens(m.usage.tokens) : '–'}</dd></div>
<div><dt>Cost</dt><dd>${m ? usd(m.usage.costUsd) : '–'}</dd></div>
<div><dt>Stages</dt><dd>${r.metrics.successfulSteps}/${r.metrics.totalSteps} done, ${r.metrics.failedSteps} failed, ${r.metrics.skippedSteps} skipped</dd></div>
</dl>
${r.rerunOf ? html`<p>Reruns <a href="/dashboard/runs/${encodeURIComponent(r.rerunOf.runId)}">${r.rerunOf.runId}</a> from ${r.rerunOf.fromStage}.</p>` : ''}
${(r.reruns ?? []).length > 0 ? html`<p>Rerun as ${(r.reruns ?? []).map((x, i) => html`${i > 0 ? ', ' : ''}<a href="/dashboard/runs/${encodeURIComponent(x.runId)}">${x.runId}</a> (from ${x.fromStage})`)}.</p>` : ''}
${r.error ? html`<p class="error">${r.error}</p>` : ''}
<p><a class="button" href="/dashboard/runs/${encodeURIComponent(r.runId)}/audit">Audit timeline</a></p>
<section aria-labelledby="graph-h"><h2 id="graph-h">Workflow</h2>
<p class="legend" aria-hidden="true">${['pending', 'running', 'awaiting_approval', 'success', 'failure', 'skipped'].map((s) => badge(s))}</p>
${
  def.ok
    ? html`<ol class="graph">${def.value.stageOrder.map((id) => node(def.value.stages[id]!, d, handoffs, tasks))}</ol>`
    : html`${unavailable('The workflow graph', def.error)}<ol class="graph">${r.steps.map((s) => html`<li class="node st-${s.status}" data-stage="${s.stepId}" data-status="${s.status}"><h3>${s.stepId}</h3>${badge(s.status)}</li>`)}</ol>`
}
</section>`;
}

export interface AuditPageData {
  readonly runId: string;
  readonly timeline: Part<RunAudit>;
  readonly at: string | undefined;
  readonly replay: Part<ReplayRunReply> | undefined;
}

/** A run's audit timeline, each event of the run a replay point. */
export function auditPage(d: AuditPageData): Html {
  const link = `/dashboard/runs/${encodeURIComponent(d.runId)}`;
  return html`<h1>Audit timeline of <a href="${link}"><code>${d.runId}</code></a></h1>
${
  d.replay === undefined
    ? ''
    : d.replay.ok
      ? html`<section class="replay" aria-labelledby="replay-h"><h2 id="replay-h">Replay at ${d.replay.value.position}</h2>
<p>${d.replay.value.eventsApplied} events applied, last ${d.replay.value.lastEventType}; run ${badge(d.replay.value.status)}</p>
<ul class="replay-stages">${d.replay.value.stages.map((s) => html`<li class="st-${s.status}">${s.stageId} ${badge(s.status)}${s.runs > 1 ? ` (ran ${s.runs} times)` : ''}</li>`)}</ul>
<p><a href="${link}/audit">Back to now</a></p></section>`
      : unavailable(`Replay at ${d.at ?? ''}`, d.replay.error)
}
${
  d.timeline.ok
    ? html`${d.timeline.value.truncated ? html`<p class="unavailable">The scan stopped at its bound; later events are not shown.</p>` : ''}
<table class="cards timeline"><caption class="sr-only">Events of the run in order</caption>
<thead><tr><th scope="col">Position</th><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Stream</th><th scope="col">Actor</th><th scope="col">Details</th><th scope="col">Replay</th></tr></thead>
<tbody>${d.timeline.value.entries.map(
        (e) => html`<tr${d.at === e.position ? html` class="current" aria-current="step"` : ''}>
<td data-label="Position"><code>${e.position}</code></td><td data-label="Time">${time(e.occurredAt)}</td><td data-label="Event">${e.type}</td>
<td data-label="Stream">${e.streamId}</td><td data-label="Actor">${e.actor ?? '–'}</td><td data-label="Details">${e.details}</td>
<td data-label="Replay">${e.ofRun ? html`<a href="${link}/audit?at=${encodeURIComponent(e.position)}">Replay here</a>` : ''}</td></tr>`,
      )}</tbody></table>`
    : unavailable('The timeline', d.timeline.error)
}`;
}
