import type { Actor, AgentDetailView, ConflictView, EscalationView, TaskView, WorkflowResultView, WorkflowStepView } from '@baton/contracts';
import type { ReplayView } from '../format';

/**
 * Reply-shaped test data, valid against the contracts' schemas. Each maker returns a fresh copy
 * of its defaults with what a test sets over them.
 */
function fixture<T extends object>(defaults: T): (over?: Partial<T>) => T {
  return (over = {}) => ({ ...structuredClone(defaults), ...over });
}

/** A person as the actor of a command (`human:<id>`). */
export function human(id: string): Actor {
  return { kind: 'human', id };
}

export const agentView = fixture<AgentDetailView>({
  agentId: 'MCT-BE-001',
  name: 'Backend Dev Agent',
  role: 'backend_dev',
  capabilities: ['implement_backend', 'fix_bug'],
  model: 'sonnet',
  maxConcurrency: 3,
  peers: ['MCT-FE-001'],
  lead: 'MCT-ARCH-001',
  status: 'busy',
  registeredAt: '2026-11-22T09:00:00.000Z',
  revision: 4,
  state: 'EXECUTING',
  load: 1,
  lastHeartbeatAt: '2026-11-22T09:59:57.000Z',
  performance: { tasksCompleted: 3, tasksFailed: 1, meanCompletionMs: 1500, errorRate: 0.25 },
});

export function stepView(stepId: string, status: WorkflowStepView['status'], over: Partial<WorkflowStepView> = {}): WorkflowStepView {
  return { stepId, agent: 'MCT-CPO-001', status, output: null, runs: status === 'success' ? 1 : 0, outcome: null, taskIds: [], ...over };
}

export function runView(steps: WorkflowStepView[], over: Partial<WorkflowResultView> = {}): WorkflowResultView {
  const count = (s: WorkflowStepView['status']): number => steps.filter((x) => x.status === s).length;
  return {
    workflowId: 'WF-FEAT-001',
    runId: 'run-1',
    version: '1.0.0',
    status: 'running',
    state: 'running',
    startTime: '2026-11-22T10:00:00.000Z',
    steps,
    metrics: { totalSteps: steps.length, successfulSteps: count('success'), failedSteps: count('failure'), skippedSteps: count('skipped') },
    params: {},
    priority: 'P1',
    ...over,
  };
}

export const taskView = fixture<TaskView>({
  taskId: 't-1',
  runId: 'run-1',
  stageId: 'requirements',
  action: 'write_prd',
  requirement: { capabilities: ['write_prd'] },
  priority: 'P1',
  inputs: {},
  status: 'accepted',
  agentId: 'MCT-PM-001',
  leaseEpoch: 1,
  attempt: 1,
  maxAttempts: 3,
  notBefore: null,
  percent: 40,
  progressMessage: 'drafting',
  tokensUsed: null,
  blockedReason: null,
  outputs: null,
  error: null,
  createdAt: '2026-11-22T09:59:00.000Z',
  updatedAt: '2026-11-22T09:59:50.000Z',
  revision: 3,
});

export const escalationView = fixture<EscalationView>({
  escalationId: 'esc-1',
  trigger: 'repeated_rejections',
  level: 3,
  assignee: { kind: 'human', id: 'oncall' },
  status: 'open',
  issue: 'Review of stage implementation rejected 3 times: missing migration rollback',
  workflowStage: 'WF-FEAT-001 / review',
  options: [
    { label: 'Grant an exception and ship', tradeoff: 'faster, but the rollback gap stays open' },
    { label: 'Send the work back once more', tradeoff: 'one more iteration (about a day)' },
  ],
  recommendation: 'Send the work back once more',
  blocking: 'stage review of run run-1; deploy cannot start',
  runId: 'run-1',
  stageId: 'review',
  taskId: null,
  agentId: 'MCT-BE-001',
  raisedAt: '2026-11-22T09:55:00.000Z',
  updatedAt: '2026-11-22T09:58:00.000Z',
  resolution: null,
  resolvedBy: null,
  resolutionReason: null,
  resolvedAt: null,
});

export const replayView = fixture<ReplayView>({
  runId: 'run-1',
  workflowId: 'WF-FEAT-001',
  version: '1.0.0',
  status: 'running',
  eventsApplied: 6,
  revision: 5,
  position: '812/44',
  lastEventType: 'StageApprovalRequested',
  stages: [
    { stageId: 'requirements', status: 'completed', iteration: 1, runs: 1, outcome: null, rejections: 0, awaiting: null, tasks: [{ key: 'requirements', taskId: 't-1', status: 'succeeded', agentId: 'MCT-PM-001' }] },
    { stageId: 'review', status: 'awaiting_approval', iteration: 1, runs: 0, outcome: null, rejections: 1, awaiting: 'human approval', tasks: [] },
  ],
});

export const conflictView = fixture<ConflictView>({
  conflictId: 'dep.t-2.0',
  kind: 'dependency_clash',
  taskIds: ['t-2', 't-1'],
  agentId: 'MCT-BE-001',
  runId: 'run-1',
  description: 'dependency t-1 failed, so task t-2 cannot start on its own: reassign it, queue it (keep holding) or escalate',
  status: 'open',
  resolution: null,
  detectedAt: '2026-11-22T09:57:00.000Z',
  resolvedAt: null,
  autoResolution: 'queue',
  needsDecision: true,
  details: { dependsOn: ['t-1'] },
  resolvedBy: null,
  reason: null,
  reassignTo: null,
});
