import { ConflictResolutionKind, EscalationResolution, TaskPriority, type AgentDetailView, type ConflictView, type EscalationView, type TaskView } from '@baton/contracts';
import { duration, percent, time } from '../format';
import { html, type Html } from '../html';
import type { Part, PendingApproval } from '../dashboard.data';
import { badge, unavailable, type Viewer } from './layout';
import { progressBar } from './progress.view';

const runLink = (runId: string | null): Html => (runId ? html`<a href="/dashboard/runs/${encodeURIComponent(runId)}">${runId}</a>` : html`–`);

/** Agents: status, held tasks with progress bars, heartbeat age, load against capacity, performance. */
export function agentsPage(agents: Part<AgentDetailView[]>, held: Part<Map<string, TaskView[]>>, now: number): Html {
  if (!agents.ok) return html`<h1>Agents</h1>${unavailable('Agents', agents.error)}`;
  const tasks = held.ok ? held.value : new Map<string, TaskView[]>();
  const busy = agents.value.filter((a) => (tasks.get(a.agentId) ?? []).length > 0).length;
  return html`<h1>Agents</h1><p>${agents.value.length} agents, ${busy} working.</p>
${held.ok ? '' : unavailable('Current tasks', held.error)}
<ul class="agents">${[...agents.value].sort((x, y) => y.load - x.load || x.agentId.localeCompare(y.agentId)).map((a) => {
    const mine = tasks.get(a.agentId) ?? [];
    const age = a.lastHeartbeatAt === null ? null : now - Date.parse(a.lastHeartbeatAt);
    const load = a.maxConcurrency > 0 ? Math.min(100, Math.round((a.load / a.maxConcurrency) * 100)) : 0;
    return html`<li class="agent" data-agent="${a.agentId}"><div class="node-head"><h2>${a.agentId}</h2>${badge(a.status)}</div>
<p class="muted">${a.role}${a.name ? ` · ${a.name}` : ''}${a.model ? ` · ${a.model}` : ''} · ${a.state}</p>
<dl class="facts">
<dt>Heartbeat</dt><dd>${age === null ? 'none yet' : `${duration(Math.max(0, age))} ago`}</dd>
<dt>Load</dt><dd><meter min="0" max="${a.maxConcurrency}" value="${a.load}" aria-label="${a.agentId} load">${load}%</meter> ${a.load} / ${a.maxConcurrency}</dd>
<dt>Done</dt><dd>${a.performance.tasksCompleted} completed, ${a.performance.tasksFailed} failed (error rate ${percent(a.performance.errorRate * 100)}), mean ${duration(a.performance.meanCompletionMs)}</dd>
</dl>
${mine.length > 0 ? html`<ul class="tasks" aria-label="Current tasks of ${a.agentId}">${mine.map((t) => progressBar(t))}</ul>` : html`<p class="muted">No current task.</p>`}
</li>`;
  })}</ul>`;
}

/** Queued tasks, most urgent priority first, oldest first within one. */
export function queuePage(queued: Part<TaskView[]>): Html {
  if (!queued.ok) return html`<h1>Queue</h1>${unavailable('The queue', queued.error)}`;
  return html`<h1>Queue</h1><p>${queued.value.length} tasks waiting for an agent.</p>
${TaskPriority.options.map((p) => {
  const list = queued.value.filter((t) => t.priority === p);
  return html`<section aria-labelledby="q-${p}"><h2 id="q-${p}">${p} <span class="muted">(${list.length})</span></h2>${
    list.length === 0
      ? html`<p class="muted">Nothing queued.</p>`
      : html`<table class="cards"><thead><tr><th scope="col">Task</th><th scope="col">Action</th><th scope="col">Run</th><th scope="col">Stage</th><th scope="col">Needs</th><th scope="col">Attempt</th><th scope="col">Queued</th></tr></thead><tbody>${list.map(
          (t) => html`<tr><td data-label="Task">${t.taskId}</td><td data-label="Action">${t.action}</td><td data-label="Run">${runLink(t.runId)}</td><td data-label="Stage">${t.stageId ?? '–'}</td>
<td data-label="Needs">${[t.requirement.agentId, t.requirement.role, ...(t.requirement.capabilities ?? [])].filter(Boolean).join(', ') || 'any agent'}</td><td data-label="Attempt">${t.attempt}/${t.maxAttempts}</td><td data-label="Queued">${time(t.createdAt)}</td></tr>`,
        )}</tbody></table>`
  }</section>`;
})}`;
}

/** Stages that wait for a person; those allowed approve or reject several at once, with one reason. */
export function inboxPage(pending: Part<PendingApproval[]>, viewer: Viewer): Html {
  if (!pending.ok) return html`<h1>Approvals</h1>${unavailable('The approval inbox', pending.error)}`;
  if (pending.value.length === 0) return html`<h1>Approvals</h1><p>Nothing waits for an approval.</p>`;
  const items = html`<ul class="inbox">${pending.value.map((p) => {
    const id = `ap-${p.runId}-${p.stageId}`.replace(/[^A-Za-z0-9_-]/g, '_');
    return html`<li class="approval" data-run="${p.runId}" data-stage="${p.stageId}">${
      viewer.mayApprove ? html`<input type="checkbox" name="item" id="${id}" value="${p.runId}/${p.stageId}"> ` : ''
    }<label for="${id}"><strong>${p.stageId}</strong> of ${p.workflowId}</label> · ${runLink(p.runId)}<p class="muted">${p.awaiting}</p></li>`;
  })}</ul>`;
  if (!viewer.mayApprove) return html`<h1>Approvals</h1><p>${pending.value.length} waiting. Deciding needs the approver or admin role.</p>${items}`;
  return html`<h1>Approvals</h1><p>${pending.value.length} waiting.</p>
<form class="inbox-form" data-action="inbox" aria-label="Approve or reject the selected stages">
<fieldset><legend>Waiting for a decision</legend>${items}</fieldset>
<label>Reason <input name="reason" required maxlength="4000" autocomplete="off"></label>
<div class="buttons"><button type="submit" name="decision" value="approve">Approve selected</button> <button type="submit" name="decision" value="reject" class="secondary">Reject selected</button></div>
</form>`;
}

/** Escalations in the escalation format (issue, stage, options, recommendation, what is blocked). */
export function escalationsPage(escalations: Part<EscalationView[]>, viewer: Viewer): Html {
  if (!escalations.ok) return html`<h1>Escalations</h1>${unavailable('Escalations', escalations.error)}`;
  const open = escalations.value.filter((e) => e.status === 'open');
  const resolved = escalations.value.filter((e) => e.status === 'resolved');
  const card = (e: EscalationView): Html => html`<article class="escalation" aria-labelledby="esc-${e.escalationId}" data-escalation="${e.escalationId}">
<h2 id="esc-${e.escalationId}">Escalation Required ${badge(e.status)}</h2>
<p class="muted">${e.escalationId} · ${e.trigger.replace(/_/g, ' ')} · level ${e.level} · with ${e.assignee.kind} ${e.assignee.id} · raised ${time(e.raisedAt)}${e.runId ? html` · run ${runLink(e.runId)}` : ''}</p>
<dl class="format">
<dt>Issue</dt><dd>${e.issue}</dd>
<dt>Workflow Stage</dt><dd>${e.workflowStage ?? e.stageId ?? '–'}</dd>
<dt>Options</dt><dd>${e.options.length === 0 ? '–' : html`<ol>${e.options.map((o) => html`<li>${o.label}${o.tradeoff ? ` – ${o.tradeoff}` : ''}</li>`)}</ol>`}</dd>
<dt>Recommendation</dt><dd>${e.recommendation ?? '–'}</dd>
<dt>Blocking</dt><dd>${e.blocking || '–'}</dd>
</dl>
${e.status === 'resolved' ? html`<p>Resolved (${e.resolution ?? ''}) by ${e.resolvedBy?.id ?? '–'} at ${time(e.resolvedAt)}: ${e.resolutionReason ?? ''}</p>` : ''}
${
  e.status === 'open' && viewer.mayApprove
    ? html`<form class="resolve" data-action="api" data-path="/api/escalations/${encodeURIComponent(e.escalationId)}/resolve" aria-label="Resolve ${e.escalationId}">
<label>Resolution <select name="resolution">${EscalationResolution.options.map((r) => html`<option value="${r}">${r.replace(/_/g, ' ')}</option>`)}</select></label>
<label>Reassign to (for reassigned) <input name="reassignTo" autocomplete="off"></label>
<label>Reason <input name="reason" required maxlength="2000" autocomplete="off"></label>
<button type="submit">Resolve</button></form>`
    : ''
}
</article>`;
  return html`<h1>Escalations</h1><p>${open.length} open, ${resolved.length} resolved.</p>
${open.map(card)}
${resolved.length > 0 ? html`<details><summary>Resolved (${resolved.length})</summary>${resolved.map(card)}</details>` : ''}`;
}

/** Conflicts between tasks; operators resolve open ones. */
export function conflictsPage(conflicts: Part<ConflictView[]>, viewer: Viewer): Html {
  if (!conflicts.ok) return html`<h1>Conflicts</h1>${unavailable('Conflicts', conflicts.error)}`;
  if (conflicts.value.length === 0) return html`<h1>Conflicts</h1><p>No conflicts.</p>`;
  return html`<h1>Conflicts</h1><ul class="conflicts">${conflicts.value.map(
    (c) => html`<li class="conflict" data-conflict="${c.conflictId}"><div class="node-head"><h2>${c.kind.replace(/_/g, ' ')}</h2>${badge(c.status)}</div>
<p>${c.description}</p>
<p class="muted">${c.conflictId} · tasks ${c.taskIds.join(', ')} · run ${runLink(c.runId)} · detected ${time(c.detectedAt)}${c.autoResolution ? ` · the scheduler will ${c.autoResolution} on its own` : ''}</p>
${c.status === 'resolved' ? html`<p>Resolved: ${c.resolution ?? ''} by ${c.resolvedBy?.id ?? '–'}${c.reason ? `: ${c.reason}` : ''}</p>` : ''}
${
  c.status === 'open' && viewer.mayOperate
    ? html`<form class="resolve" data-action="api" data-path="/api/conflicts/${encodeURIComponent(c.conflictId)}/resolve" aria-label="Resolve ${c.conflictId}">
<label>Resolution <select name="resolution">${ConflictResolutionKind.options.map((r) => html`<option value="${r}">${r}</option>`)}</select></label>
<label>Reassign to <input name="reassignTo" autocomplete="off"></label>
<label>Reason <input name="reason" required maxlength="2000" autocomplete="off"></label>
<button type="submit">Resolve</button></form>`
    : ''
}</li>`,
  )}</ul>`;
}
