import {
  ConflictDetectedV1,
  ConflictResolvedV1,
  EscalationLevelRaisedV1,
  EscalationRaisedV1,
  EscalationResolvedV1,
  HandoffAcceptedV1,
  HandoffRejectedV1,
  HandoffSubmittedV1,
  StageApprovalRequestedV1,
  StageApprovedV1,
  StageEscalatedV1,
  StageRejectedV1,
  StageReworkRequestedV1,
  StageSlaBreachedV1,
  RunSlaBreachedV1,
  NotificationEventSchemas,
  TaskEventSchemas,
  TaskHandoffRejectedV1,
} from '@baton/contracts';
import type { z } from 'zod';

/**
 * One realistic `data` per event type a run's timeline can hold (run, task, handoff,
 * escalation and conflict streams). Where the contracts have a schema, the data is parsed
 * with it, so the fixtures cannot drift from the contracts.
 */
const at = '2026-11-22T10:00:00.000Z';
const human = { kind: 'human' as const, id: 'alice' };
const failure = { source: 'handoff' as const, specId: 'HO-PM-ARCH', artifact: 'prd.md', rule: 'user_stories: min 3', message: 'user_stories has 1 item; at least 3 are required', missing: ['2 user stories'] };
const spec = { key: 'design', taskId: 't-2', action: 'design_system', requirement: { role: 'architect', capabilities: [] }, priority: 'P1', agent: 'role:architect', timeoutMs: null, maxAttempts: 3, retry: {}, inputs: {} };

function valid<S extends z.ZodType>(schema: S, data: z.input<S>): unknown {
  return schema.parse(data);
}

export const EVENT_FIXTURES: Readonly<Record<string, unknown>> = {
  RunStarted: { runId: 'r1', workflowId: 'WF-FEAT-001', version: '1.0.0', hash: 'h', params: { release: '2026.11' }, priority: 'P1', trigger: { type: 'feature' }, startedAt: at },
  StageStarted: { runId: 'r1', stageId: 'design', iteration: 2, tasks: [spec], slaMs: 1_800_000, slaDueAt: at, startedAt: at },
  StageTaskFinished: { runId: 'r1', stageId: 'design', iteration: 1, key: 'design', taskId: 't-2', status: 'failed', agentId: 'MCT-ARCH-001', outputs: {}, error: 'model refused', finishedAt: at },
  StageCompleted: { runId: 'r1', stageId: 'review', iteration: 1, outcome: 'approved', outputs: {}, next: { ready: ['deploy'], waiting: ['docs'] }, cleanupFailed: ['close_tickets'], completedAt: at },
  StageCleanupStarted: {
    runId: 'r1',
    stageId: 'complete',
    iteration: 1,
    tasks: [
      { ...spec, key: 'cleanup:archive_artifacts', taskId: 't-10', action: 'archive_artifacts', requirement: { capabilities: ['archive_artifacts'] }, agent: 'capability:archive_artifacts', maxAttempts: 1 },
      { ...spec, key: 'cleanup:close_tickets', taskId: 't-11', action: 'close_tickets', requirement: { capabilities: ['close_tickets'] }, agent: 'capability:close_tickets', maxAttempts: 1 },
    ],
    outcome: null,
    slaDueAt: null,
    startedAt: at,
  },
  StageFailed: { runId: 'r1', stageId: 'build', iteration: 1, error: 'task t-3 failed: tests red', next: { ready: [], waiting: [] }, failedAt: at },
  StageSkipped: { runId: 'r1', stageId: 'schema', reason: 'condition design.outputs.schema_changes_needed == true is false', next: { ready: ['build'], waiting: [] }, skippedAt: at },
  StageSlaBreached: valid(StageSlaBreachedV1, { runId: 'r1', workflowId: 'WF-FEAT-001', stageId: 'design', iteration: 1, slaMs: 1_800_000, startedAt: at, breachedAt: at }),
  FailureStepsStarted: { runId: 'r1', stageId: 'build', reason: 'stage build failed', tasks: [{ ...spec, taskId: 't-9', agent: 'MCT-OPS-001' }], notifications: [{ channel: 'slack', target: '#ops', message: null }], startedAt: at },
  RunCompleted: { runId: 'r1', completedAt: at },
  RunFailed: { runId: 'r1', stageId: 'build', error: 'stage build failed', openTaskIds: ['t-4', 't-5'], failedAt: at },
  RunCancelled: { runId: 'r1', reason: 'superseded by r2', openTaskIds: ['t-4'], cancelledAt: at },
  RunPaused: { runId: 'r1', reason: 'freeze', pausedAt: at },
  RunResumed: { runId: 'r1', resumedAt: at },
  StageReused: { runId: 'r2', stageId: 'design', sourceRunId: 'r1', status: 'succeeded', outcome: null, outputs: { 'design.md': 'd' }, reusedAt: at },
  RunRerunStarted: { runId: 'r1', rerunRunId: 'r2', fromStage: 'testing', requestedBy: { kind: 'human', id: 'alice' }, reason: 'flaky test fixed', requestedAt: at },
  RunSlaBreached: valid(RunSlaBreachedV1, { runId: 'r1', workflowId: 'WF-FEAT-001', slaMs: 7_200_000, startedAt: at, breachedAt: at }),
  NotificationRequested: valid(NotificationEventSchemas.NotificationRequested, {
    deliveryId: 'n-1',
    ruleId: 'approvals',
    channel: 'approvals-email',
    channelKind: 'email',
    recipient: 'alice@example.com',
    title: 'Approval needed: production_deploy of r1',
    text: 'Stage production_deploy waits for your approval.',
    severity: 'warning',
    source: { eventId: 'e-7', eventType: 'StageApprovalRequested', streamId: 'run-r1', topic: 'approval.requested', runId: 'r1' },
    maxAttempts: 5,
    requestedAt: at,
  }),
  NotificationDelivered: valid(NotificationEventSchemas.NotificationDelivered, { deliveryId: 'n-1', attempt: 2, response: '250 OK', deliveredAt: at }),
  NotificationDeliveryFailed: valid(NotificationEventSchemas.NotificationDeliveryFailed, { deliveryId: 'n-1', attempt: 1, error: 'HTTP 503', permanent: false, willRetry: true, failedAt: at }),
  NotificationDeadLettered: valid(NotificationEventSchemas.NotificationDeadLettered, { deliveryId: 'n-2', attempts: 5, lastError: 'HTTP 503', deadLetteredAt: at }),
  NotificationRetryRequested: valid(NotificationEventSchemas.NotificationRetryRequested, { deliveryId: 'n-2', by: { kind: 'human', id: 'alice' }, reason: 'Slack is back', maxAttempts: 10, requestedAt: at }),
  StageApprovalRequested: valid(StageApprovalRequestedV1, {
    runId: 'r1', workflowId: 'WF-FEAT-001', stageId: 'review', iteration: 1, kind: 'human', when: 'after', approvers: ['alice', 'bob'], reason: 'approvers', taskIds: [], requestedAt: at,
  }),
  StageApproved: valid(StageApprovedV1, { runId: 'r1', stageId: 'review', iteration: 1, by: human, reason: 'looks good', approvedAt: at }),
  StageRejected: valid(StageRejectedV1, { runId: 'r1', stageId: 'review', iteration: 2, by: human, reason: 'no rollback', findings: [{ severity: 'high', title: 'no rollback' }], rejections: 2, rejectedAt: at }),
  StageReworkRequested: valid(StageReworkRequestedV1, {
    runId: 'r1', stageId: 'review', iteration: 2, backTo: ['build'], feedback: { by: human, reason: 'no rollback', findings: [] }, rejections: 2, requestedAt: at,
  }),
  StageEscalated: valid(StageEscalatedV1, {
    runId: 'r1', workflowId: 'WF-FEAT-001', stageId: 'review', iteration: 3, trigger: 'repeated_rejections', rejections: 3, issue: 'review rejected 3 times',
    options: [{ label: 'grant an exception', tradeoff: 'ships the gap' }], recommendation: null, blocking: 'deploy', findings: [], escalatedAt: at,
  }),

  TaskCreated: valid(TaskEventSchemas.TaskCreated, { taskId: 't-2', runId: 'r1', stageId: 'design', action: 'design_system', requirement: { role: 'architect', capabilities: ['design'] }, priority: 'P1', attempt: 2, createdAt: at }),
  TaskAssigned: valid(TaskEventSchemas.TaskAssigned, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, assignedAt: at, previousAgentId: 'MCT-ARCH-002' }),
  TaskAccepted: valid(TaskEventSchemas.TaskAccepted, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, acceptedAt: at }),
  TaskProgressReported: valid(TaskEventSchemas.TaskProgressReported, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, percent: 40, message: 'drafting', tokensUsed: 1200, reportedAt: at }),
  TaskBlocked: valid(TaskEventSchemas.TaskBlocked, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, reason: 'waiting for the API spec', blockedAt: at }),
  TaskUnblocked: valid(TaskEventSchemas.TaskUnblocked, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, unblockedAt: at }),
  TaskCompleted: valid(TaskEventSchemas.TaskCompleted, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, outputs: { design: 'x', adr: 'y' }, completedAt: at, durationMs: 1500 }),
  TaskFailed: valid(TaskEventSchemas.TaskFailed, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, error: { message: 'timed out', code: 'TIMEOUT' }, final: false, failedAt: at }),
  TaskReleased: valid(TaskEventSchemas.TaskReleased, { taskId: 't-2', agentId: 'MCT-ARCH-001', leaseEpoch: 2, reason: 'agent_offline', releasedAt: at }),
  TaskCancelled: valid(TaskEventSchemas.TaskCancelled, { taskId: 't-2', reason: 'run cancelled', cancelledAt: at }),
  TaskHandoffRejected: valid(TaskHandoffRejectedV1, { taskId: 't-1', agentId: 'MCT-PM-001', leaseEpoch: 1, handoffId: 'h-1', failures: [failure], rejections: 1, rejectedAt: at }),

  HandoffSubmitted: valid(HandoffSubmittedV1, {
    handoffId: 'h-1', taskId: 't-1', runId: 'r1', stageId: 'requirements', iteration: 1, fromAgentId: 'MCT-PM-001', toAgentIds: ['MCT-ARCH-001'], specIds: ['HO-PM-ARCH'],
    artifacts: [{ name: 'prd.md', hash: `sha256:${'a'.repeat(64)}`, size: 120, mediaType: 'text/markdown' }], context: {}, submittedAt: at,
  }),
  HandoffAccepted: valid(HandoffAcceptedV1, { handoffId: 'h-2', taskId: 't-1', runId: 'r1', stageId: 'requirements', fromAgentId: 'MCT-PM-001', specIds: ['HO-PM-ARCH'], rulesChecked: 7, acceptedAt: at }),
  HandoffRejected: valid(HandoffRejectedV1, {
    handoffId: 'h-1', taskId: 't-1', runId: 'r1', stageId: 'requirements', fromAgentId: 'MCT-PM-001', specIds: ['HO-PM-ARCH'], rulesChecked: 7,
    failures: [failure, { ...failure, rule: 'section "Risks"', message: 'section "Risks" is missing' }], rejectedAt: at,
  }),

  EscalationRaised: valid(EscalationRaisedV1, {
    escalationId: 'e-1', trigger: 'blocked_task', level: 1, assignee: { kind: 'agent', id: 'MCT-BE-002' }, issue: 'task t-2 blocked for 35 minutes', workflowStage: 'WF-FEAT-001 / design',
    options: [], recommendation: null, blocking: 'stage design', runId: 'r1', stageId: 'design', taskId: 't-2', agentId: 'MCT-ARCH-001', since: at,
    ladder: { l1AfterMs: 1_800_000, l2AfterMs: 7_200_000, l3AfterMs: 14_400_000, stallAfterMs: 7_200_000, conflictEscalateMs: 300_000 }, raisedAt: at,
  }),
  EscalationLevelRaised: valid(EscalationLevelRaisedV1, { escalationId: 'e-1', trigger: 'blocked_task', from: 1, to: 2, assignee: { kind: 'agent', id: 'MCT-ARCH-001' }, reason: 'unresolved for 2 hours', raisedAt: at }),
  EscalationResolved: valid(EscalationResolvedV1, { escalationId: 'e-1', resolution: 'reassigned', by: human, reason: 'MCT-BE-003 knows the API', reassignTo: 'MCT-BE-003', resolvedAt: at }),

  ConflictDetected: valid(ConflictDetectedV1, {
    conflictId: 'c-1', kind: 'file_overlap', taskIds: ['t-4', 't-5'], agentId: null, runId: 'r1', description: 'both change src/api.ts', details: {}, autoResolution: 'queue', detectedAt: at,
  }),
  ConflictResolved: valid(ConflictResolvedV1, { conflictId: 'c-1', kind: 'file_overlap', resolution: 'reassign', by: human, reason: 'split the work', reassignTo: 'MCT-BE-002', resolvedAt: at }),
};
