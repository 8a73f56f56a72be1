import type { TaskView } from '@baton/contracts';
import { html, type Html } from '../html';

/**
 * A task's last progress report as a bar with its percent and message; its status when none yet.
 * `withIds` adds the task and stage ids (the agents page; a run's stage card needs only the action).
 */
export function progressBar(t: TaskView, withIds = true): Html {
  const pct = t.percent === null ? null : Math.max(0, Math.min(100, Math.round(t.percent)));
  return html`<li class="task"><span class="task-id">${t.action}${withIds ? html` <span class="muted">${t.taskId}${t.stageId ? ` · ${t.stageId}` : ''}</span>` : ''}</span>
${
  pct === null
    ? html`<span class="muted">${t.status}, no progress reported yet</span>`
    : html`<div class="progress"><progress max="100" value="${pct}" aria-label="${t.action} ${t.taskId}">${pct}%</progress><span>${pct}%${t.progressMessage ? ` · ${t.progressMessage}` : ''}</span></div>`
}</li>`;
}
