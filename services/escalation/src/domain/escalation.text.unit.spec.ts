import { draftEscalation, formatDuration } from './escalation.text';
import { escalationId, stageEscalationId } from './escalation.ids';

const since = new Date('2026-12-01T09:00:00.000Z');
const after = (min: number) => ({ since, now: new Date(since.getTime() + min * 60_000) });

describe('formatDuration', () => {
  it.each([
    [45_000, '45 s'],
    [31 * 60_000, '31 min'],
    [121 * 60_000, '2 h 1 min'],
    [240 * 60_000, '4 h'],
    [-5, '0 s'],
  ])('%i ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('draftEscalation', () => {
  it('blocked task: issue with how long and why, wait / reassign to the peer / cancel with trade-offs', () => {
    const d = draftEscalation(
      { kind: 'blocked_task', taskId: 't-1', action: 'write_prd', agentId: 'pm-1', reason: 'waiting for the API spec', runId: 'r-1', stageId: 'requirements' },
      { ...after(31), assignee: { kind: 'agent', id: 'pm-2' } },
    );
    expect(d).toMatchObject({
      trigger: 'blocked_task',
      issue: 'Task t-1 (write_prd) blocked for 31 min: waiting for the API spec',
      workflowStage: 'requirements',
      blocking: 'Task t-1 (write_prd), and with it stage requirements of run r-1',
      taskId: 't-1',
      agentId: 'pm-1',
      runId: 'r-1',
      decidesStage: false,
    });
    expect(d.options.map((o) => o.label)).toEqual(['Wait for the blocker to clear', 'Reassign the task to pm-2', 'Cancel the task']);
    expect(d.options.every((o) => o.tradeoff.length > 0)).toBe(true);
    expect(d.recommendation).toMatch(/reassign/);
  });

  it('blocked task without a reason or action still reads', () => {
    expect(draftEscalation({ kind: 'blocked_task', taskId: 't-2', action: null, agentId: 'a', reason: ' ', runId: null, stageId: null }, after(45)).issue).toBe('Task t-2 blocked for 45 min: no reason given');
  });

  it('stalled task, agent failure, repeated rejections, SLA breach', () => {
    expect(draftEscalation({ kind: 'stalled_task', taskId: 't-1', action: 'build', agentId: 'be-1', runId: null, stageId: null, lastPercent: 40 }, after(120)).issue).toBe(
      'Task t-1 (build) has made no progress for 2 h (agent be-1, last at 40%)',
    );
    expect(draftEscalation({ kind: 'agent_failure', cause: 'agent_offline', taskId: 't-1', action: 'build', agentId: 'be-1', runId: null, stageId: null, error: null }, after(0)).issue).toBe(
      'Agent be-1 went offline holding task t-1 (build); the task is back in the queue',
    );
    expect(draftEscalation({ kind: 'agent_failure', cause: 'failed', taskId: 't-1', action: null, agentId: null, runId: null, stageId: null, error: 'disk full' }, after(0)).issue).toBe(
      'Task t-1 failed for good: disk full',
    );
    const rejected = draftEscalation(
      { kind: 'repeated_rejections', taskId: 't-1', action: 'write_prd', agentId: 'pm-1', runId: 'r-1', stageId: 'prd', rejections: 3, failures: ['prd.md: user_stories has 0 items'] },
      after(0),
    );
    expect(rejected).toMatchObject({ trigger: 'repeated_rejections', issue: 'Task t-1 (write_prd): handoff refused 3 times by its checks: prd.md: user_stories has 0 items' });
    const sla = draftEscalation(
      { kind: 'sla_breach', runId: 'r-1', workflowId: 'WF-1', stageId: 'review', iteration: 1, slaMs: 4 * 3_600_000, startedAt: '2026-12-01T05:00:00.000Z', taskId: 't-9', agentId: 'qa-1' },
      after(0),
    );
    expect(sla).toMatchObject({ trigger: 'sla_breach', issue: 'Stage review of run r-1 (WF-1) ran past its SLA of 4 h (started 2026-12-01T05:00:00.000Z)', workflowStage: 'review (WF-1)', iteration: 1, agentId: 'qa-1' });
  });

  it('run_sla: a run past its run-level SLA, raised as sla_breach about the run', () => {
    const d = draftEscalation({ kind: 'run_sla', runId: 'r-2', workflowId: 'WF-FEAT-001', slaMs: 3 * 3_600_000, startedAt: '2026-12-01T05:00:00.000Z' }, after(0));
    expect(d).toMatchObject({ trigger: 'sla_breach', issue: 'Run r-2 (WF-FEAT-001) ran past its SLA of 3 h (started 2026-12-01T05:00:00.000Z)', runId: 'r-2', stageId: null, taskId: null });
    expect(d.options.map((o) => o.label)).toContain('Cancel the run');
  });

  it('conflict: after the window, or handed over by the scheduler; the recommendation follows the kind', () => {
    const facts = { kind: 'conflict', conflictId: 'c-1', conflictKind: 'file_overlap', description: 'src/a.ts in t-1 and t-2', taskIds: ['t-1', 't-2'], agentId: null, runId: null, via: 'timeout' } as const;
    const d = draftEscalation(facts, after(5));
    expect(d).toMatchObject({ trigger: 'conflict', issue: 'Conflict c-1 (file_overlap) unresolved for 5 min: src/a.ts in t-1 and t-2', blocking: 'Tasks t-1, t-2', conflictId: 'c-1', taskId: 't-1' });
    expect(d.recommendation).toMatch(/Queue/);
    expect(draftEscalation({ ...facts, via: 'scheduler' }, after(1)).issue).toBe('Conflict c-1 (file_overlap) was escalated by the scheduler: src/a.ts in t-1 and t-2');
  });

  it('a stage held for a human carries the event\'s own format and decides the stage', () => {
    const d = draftEscalation(
      {
        kind: 'stage_escalated',
        trigger: 'repeated_rejections',
        runId: 'r-1',
        workflowId: 'WF-1',
        stageId: 'review',
        iteration: 2,
        issue: 'Review rejected 3 times',
        options: [{ label: 'Approve as is', tradeoff: 'ships known issues' }],
        recommendation: 'Rework the API',
        blocking: 'deploy',
      },
      after(0),
    );
    expect(d).toMatchObject({ trigger: 'repeated_rejections', issue: 'Review rejected 3 times', options: [{ label: 'Approve as is', tradeoff: 'ships known issues' }], recommendation: 'Rework the API', blocking: 'deploy', decidesStage: true, iteration: 2 });
    const approval = draftEscalation({ kind: 'approval_needed', runId: 'r-1', workflowId: 'WF-1', stageId: 'deploy', iteration: 1, approvers: ['cto'] }, after(31));
    expect(approval).toMatchObject({ trigger: 'approval_needed', issue: 'Stage deploy of run r-1 (WF-1) has waited 31 min for approval by cto', decidesStage: true });
  });
});

describe('escalation ids', () => {
  it('are readable, valid and deterministic', () => {
    expect(stageEscalationId('r-1', 'review', 2)).toBe('run-r-1-review-2');
    expect(escalationId('task', 'a b/c', 'blocked')).toBe('task-a_b_c-blocked');
    expect(escalationId('-x')).toBe('e-x');
  });
  it('stay within 200 characters, told apart by a checksum', () => {
    const a = escalationId('task', 'x'.repeat(300), 1);
    const b = escalationId('task', 'x'.repeat(300), 2);
    expect(a).toHaveLength(200);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/);
  });
});
