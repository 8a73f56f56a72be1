import type { EscalationView, RunSummary } from '@baton/contracts';
import { html } from '../html';
import { layout, type Viewer } from './layout';
import { escalationsPage, inboxPage } from './lists.view';
import { runsPage } from './runs.view';

const viewer: Viewer = { id: 'vera', roles: ['viewer'], mayOperate: false, mayApprove: false };
const approver: Viewer = { id: 'ada', roles: ['approver'], mayOperate: false, mayApprove: true };
const pending = { ok: true as const, value: [{ runId: 'r1', workflowId: 'WF-FEAT-001', stageId: 'production_deploy', awaiting: 'human before (requires_approval): Human' }] };

describe('dashboard views', () => {
  it('escapes what others wrote', () => {
    expect(html`<p>${'<script>alert("x")</script>'}</p>`.text).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>');
    const page = layout({ title: '<b>', page: 'runs', viewer: { ...viewer, id: '"><img src=x>' }, live: { topics: ['run'] } }, html`<p>ok</p>`).text;
    expect(page).not.toContain('<img');
    expect(page).toContain('&quot;&gt;&lt;img src=x&gt;');
  });

  it('shows a viewer the approvals that wait, with no way to decide', () => {
    const page = inboxPage(pending, viewer).text;
    expect(page).toContain('production_deploy');
    expect(page).not.toMatch(/<button|type="checkbox"/);
    expect(page).toContain('Deciding needs the approver or admin role');
  });

  it('gives an approver one checkbox per waiting stage and one reason for all', () => {
    const page = inboxPage(pending, approver).text;
    expect(page).toContain('value="r1/production_deploy"');
    expect(page.match(/<button/g)).toHaveLength(2);
    expect(page).toContain('Approve selected');
  });

  it('writes an escalation in the escalation format, resolvable only by those allowed', () => {
    const e: EscalationView = {
      escalationId: 'e1',
      trigger: 'repeated_rejections',
      level: 2,
      assignee: { kind: 'human', id: 'lead' },
      status: 'open',
      issue: 'Review rejected 3 times',
      workflowStage: 'code_review',
      options: [
        { label: 'Accept as is', tradeoff: 'ships known debt' },
        { label: 'Redesign', tradeoff: 'two more days' },
      ],
      recommendation: 'Redesign',
      blocking: 'testing',
      runId: 'r1',
      stageId: 'code_review',
      taskId: null,
      agentId: null,
      raisedAt: '2026-12-06T07:00:00.000Z',
      updatedAt: '2026-12-06T07:00:00.000Z',
      resolution: null,
      resolvedBy: null,
      resolutionReason: null,
      resolvedAt: null,
    };
    const page = escalationsPage({ ok: true, value: [e] }, approver).text;
    for (const part of ['Escalation Required', '<dt>Issue</dt><dd>Review rejected 3 times</dd>', '<dt>Workflow Stage</dt><dd>code_review</dd>', '<li>Accept as is – ships known debt</li>', '<dt>Recommendation</dt><dd>Redesign</dd>', '<dt>Blocking</dt><dd>testing</dd>']) {
      expect(page).toContain(part);
    }
    expect(page).toContain('data-path="/api/escalations/e1/resolve"');
    expect(escalationsPage({ ok: true, value: [e] }, viewer).text).not.toContain('<form');
  });

  it('lists runs with their duration, and says which parts could not be loaded', () => {
    const run: RunSummary = { runId: 'r1', workflowId: 'WF-FEAT-001', version: '1.0.0', state: 'success', status: 'success', startTime: '2026-12-06T07:00:00.000Z', endTime: '2026-12-06T07:04:05.000Z' };
    const page = runsPage({ runs: { ok: true, value: [run] }, metrics: { ok: false, error: new Error('no service answers') }, etas: { ok: true, value: [] }, filter: {}, now: Date.now() }).text;
    expect(page).toContain('<td data-label="Duration">4m 05s</td>');
    expect(page).toContain('Metrics unavailable: no service answers');
  });
});
