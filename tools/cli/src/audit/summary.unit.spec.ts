import { EscalationEventTypes, HandoffEventTypes, NotificationEventSchemas, RunEventTypes, TaskEventSchemas } from '@baton/contracts';
import { EVENT_FIXTURES } from '../testing/event-fixtures';
import { actorLabel, clip, ruleFailures, summarizeEvent, SUMMARIZED_EVENT_TYPES } from './summary';

/** Every event type the contracts name for the streams of a run's timeline. */
const CONTRACT_EVENT_TYPES = [
  ...RunEventTypes,
  ...Object.keys(TaskEventSchemas),
  'TaskHandoffRejected',
  ...HandoffEventTypes,
  ...EscalationEventTypes,
  'ConflictDetected',
  'ConflictResolved',
  ...Object.keys(NotificationEventSchemas),
];

const EXPECTED: Readonly<Record<string, string>> = {
  RunStarted: 'run of WF-FEAT-001 v1.0.0 started (P1); trigger feature; params release="2026.11"',
  StageStarted: 'stage design (iteration 2) started: 1 task (t-2 → role:architect); SLA 30m 00s',
  StageTaskFinished: 'stage design: task t-2 failed (MCT-ARCH-001): model refused',
  StageCompleted: 'stage review completed → approved; cleanup failed: close_tickets; next deploy; waiting docs',
  StageCleanupStarted: 'stage complete cleanup started (archive_artifacts, close_tickets): 2 tasks (t-10 → capability:archive_artifacts, t-11 → capability:close_tickets)',
  StageFailed: 'stage build failed: task t-3 failed: tests red',
  StageSkipped: 'stage schema skipped: condition design.outputs.schema_changes_needed == true is false',
  StageSlaBreached: 'stage design ran past its SLA of 30m 00s',
  FailureStepsStarted: 'failure steps after stage build: stage build failed; 1 task (t-9 → MCT-OPS-001); notify slack:#ops',
  RunCompleted: 'run completed',
  RunFailed: 'run failed at stage build: stage build failed (2 open tasks cancelled)',
  RunCancelled: 'run cancelled: superseded by r2 (1 open task cancelled)',
  RunPaused: 'run paused: freeze',
  RunResumed: 'run resumed',
  StageReused: 'stage design reused from run r1; outputs design.md',
  RunRerunStarted: 'rerun r2 started from stage testing by human:alice: flaky test fixed',
  RunSlaBreached: 'run ran past its SLA of 2h 00m',
  NotificationRequested: 'notify alice@example.com by approvals-email: Approval needed: production_deploy of r1 [n-1]',
  NotificationDelivered: 'notification n-1 delivered (attempt 2)',
  NotificationDeliveryFailed: 'notification n-1 attempt 1 failed: HTTP 503; will retry',
  NotificationDeadLettered: 'notification n-2 dead-lettered after 5 attempts: HTTP 503',
  NotificationRetryRequested: 'notification n-2 retry requested by human:alice: Slack is back',
  StageApprovalRequested: 'stage review awaits human approval of its work from alice, bob (reason: approvers)',
  StageApproved: 'stage review approved by human:alice: looks good',
  StageRejected: 'stage review (iteration 2) rejected by human:alice (rejection 2): no rollback; 1 finding',
  StageReworkRequested: 'stage review (iteration 2) sends work back to build (rejection 2), by human:alice: no rollback',
  StageEscalated: 'stage review (iteration 3) escalated to a human (repeated_rejections, 3 rejections): review rejected 3 times',
  TaskCreated: 'task t-2 created: design_system for role architect, capabilities design (P1, attempt 2), stage design',
  TaskAssigned: 'assigned to MCT-ARCH-001 (lease 2), taken from MCT-ARCH-002',
  TaskAccepted: 'accepted by MCT-ARCH-001',
  TaskProgressReported: 'MCT-ARCH-001 at 40%: drafting (1200 tokens)',
  TaskBlocked: 'blocked (MCT-ARCH-001): waiting for the API spec',
  TaskUnblocked: 'unblocked (MCT-ARCH-001)',
  TaskCompleted: 'completed by MCT-ARCH-001 in 1.5 s; outputs design, adr',
  TaskFailed: 'failed (MCT-ARCH-001): timed out [TIMEOUT]; will be retried',
  TaskReleased: 'released from MCT-ARCH-001: agent_offline',
  TaskCancelled: 'cancelled: run cancelled',
  TaskHandoffRejected: 'completion refused by handoff h-1 (rejection 1): 1 rule failure; first: user_stories has 1 item; at least 3 are required',
  HandoffSubmitted: 'handoff of task t-1 (stage requirements) from MCT-PM-001 to MCT-ARCH-001: 1 artifact (prd.md) [HO-PM-ARCH]',
  HandoffAccepted: 'handoff of task t-1 accepted: 7 rules checked [HO-PM-ARCH]',
  HandoffRejected: 'handoff of task t-1 rejected (7 rules checked) [HO-PM-ARCH]: 2 rule failures; first: user_stories has 1 item; at least 3 are required',
  EscalationRaised: 'L1 escalation (blocked_task) to agent:MCT-BE-002, stage design, task t-2: task t-2 blocked for 35 minutes',
  EscalationLevelRaised: 'escalated L1 → L2 to agent:MCT-ARCH-001: unresolved for 2 hours',
  EscalationResolved: 'reassigned by human:alice to MCT-BE-003: MCT-BE-003 knows the API',
  ConflictDetected: 'file_overlap conflict on t-4, t-5: both change src/api.ts; auto queue',
  ConflictResolved: 'file_overlap conflict resolved: reassign by human:alice to MCT-BE-002: split the work',
};

describe('audit event summaries', () => {
  it('knows every event type the contracts list for run, task, handoff, escalation, conflict and notification streams', () => {
    expect(CONTRACT_EVENT_TYPES.filter((t) => !SUMMARIZED_EVENT_TYPES.includes(t))).toEqual([]);
    expect(Object.keys(EVENT_FIXTURES).sort()).toEqual([...CONTRACT_EVENT_TYPES].sort());
    expect(Object.keys(EXPECTED).sort()).toEqual([...CONTRACT_EVENT_TYPES].sort());
  });

  it.each(Object.entries(EXPECTED))('summarizes %s in one line', (type, summary) => {
    expect(summarizeEvent({ type, data: EVENT_FIXTURES[type] })).toBe(summary);
  });

  it('never throws on data that does not match the contracts, and marks what is missing', () => {
    for (const type of CONTRACT_EVENT_TYPES) {
      for (const data of [null, undefined, 42, 'text', [], {}, { stageId: 7, tasks: 'no', failures: [null], by: 'x', next: [] }]) {
        const s = summarizeEvent({ type, data });
        expect(typeof s).toBe('string');
        expect(s).not.toMatch(/undefined|\[object Object\]|NaN/);
      }
    }
    expect(summarizeEvent({ type: 'StageApproved', data: {} })).toBe('stage ? approved by -');
    // A stage whose cleanup all succeeded, or that had none, reads as before cleanup existed.
    expect(summarizeEvent({ type: 'StageCompleted', data: { stageId: 'complete', iteration: 1, outcome: null, cleanupFailed: [], next: { ready: [], waiting: [] } } })).toBe('stage complete completed');
    expect(summarizeEvent({ type: 'HandoffRejected', data: { taskId: 't-1' } })).toBe('handoff of task t-1 rejected (0 rules checked): no rule failures');
  });

  it('falls back to the usual fields for event types it does not know (including Object.prototype names)', () => {
    expect(summarizeEvent({ type: 'WorkflowVersionRegistered', data: { stageId: 's', reason: 'because', other: 1 } })).toBe('stageId=s reason=because');
    expect(summarizeEvent({ type: 'constructor', data: { status: 'x' } })).toBe('status=x');
    expect(summarizeEvent({ type: 'Nothing', data: { nested: { a: 1 } } })).toBe('');
  });

  it('labels actors kind:id, and shortens free text to one line', () => {
    expect(actorLabel({ kind: 'human', id: 'alice' })).toBe('human:alice');
    expect(actorLabel(undefined)).toBe('-');
    expect(actorLabel('scheduler')).toBe('scheduler');
    expect(clip('a\n  b   c', 100)).toBe('a b c');
    expect(clip('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(ruleFailures({ failures: [{ rule: 'coverage >= 80%' }] })).toBe('1 rule failure; first: coverage >= 80%');
  });
});

describe('audit summaries of escalations', () => {
  it('names the conflict an escalation is about, and reads level changes written either way', () => {
    expect(summarizeEvent({ type: 'EscalationRaised', data: { level: 3, trigger: 'conflict', assignee: { kind: 'human', id: 'oncall' }, conflictId: 'c-1', issue: 'nobody resolved it' } })).toBe(
      'L3 escalation (conflict) to human:oncall, conflict c-1: nobody resolved it',
    );
    expect(summarizeEvent({ type: 'EscalationLevelRaised', data: { fromLevel: 0, level: 1, assignee: { kind: 'agent', id: 'MCT-BE-002' } } })).toBe('escalated L0 → L1 to agent:MCT-BE-002');
  });
});
