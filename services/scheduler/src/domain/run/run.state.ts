import type { Actor } from '@baton/contracts';
import type { RunResults, StageResult, StageStatus } from '@baton/workflow-dsl';
import type { ApprovalRequest, Feedback, RerunLink, RunDefinition, RunEvent, StageTaskSpec } from './run.events';

/** One task of a stage, as the run sees it. */
export interface RunTaskRecord {
  readonly spec: StageTaskSpec;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly agentId: string | null;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly error: string | null;
}

/** One stage in a run: its latest iteration. */
export interface StageRecord {
  readonly stageId: string;
  readonly status: StageStatus;
  /** How many times it started (the current iteration). */
  readonly iteration: number;
  /** How many times it completed. */
  readonly runs: number;
  readonly outcome: string | null;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly skipReason: string | null;
  /** Tasks of the current iteration by key. */
  readonly tasks: Readonly<Record<string, RunTaskRecord>>;
  readonly slaBreached: boolean;
  readonly slaMs: number | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  /** Rejections of this stage's work so far in the run (reviews, approvers, blocking criteria). */
  readonly rejections: number;
  /** Feedback the next iteration's tasks get (set when work is sent back to this stage). */
  readonly feedback: Feedback | null;
  /** What the stage waits for, if it waits for an approval. */
  readonly awaiting: Awaiting | null;
  /** Iteration whose start was approved (`requires_approval`). */
  readonly approvedIteration: number;
  /** Iteration whose result was approved (`approvers`, escalations). */
  readonly acceptedIteration: number;
  /** The `cleanup` tasks of the current iteration, once its work was accepted (null before). */
  readonly cleanup: CleanupSteps | null;
}

/** A stage's cleanup under way (or done): the stage completes with `outcome` once every task finished. */
export interface CleanupSteps {
  readonly iteration: number;
  readonly outcome: string | null;
  /** By key (`cleanup:<step>`). */
  readonly tasks: Readonly<Record<string, RunTaskRecord>>;
}

/** A pending approval: the request, the approval tasks of agent approvers, and what a human approval leads to. */
export interface Awaiting extends ApprovalRequest {
  readonly iteration: number;
  readonly tasks: Readonly<Record<string, { readonly taskId: string; readonly approver: string; readonly status: 'running' | 'approved' | 'rejected' }>>;
  readonly onApprove: 'outcome_approved' | 'complete' | 'start';
}

export type RunStatus = 'running' | 'paused' | 'success' | 'failure' | 'cancelled';

export interface FailureSteps {
  readonly stageId: string | null;
  readonly reason: string;
  readonly tasks: Readonly<Record<string, 'running' | 'succeeded' | 'failed'>>;
}

export type RunState =
  | { readonly exists: false }
  | (RunDefinition & {
      readonly exists: true;
      readonly startedBy: Actor | null;
      readonly status: RunStatus;
      readonly stages: Readonly<Record<string, StageRecord>>;
      /** Stages that became ready while the run was paused, started on resume. */
      readonly deferred: readonly string[];
      /** taskId → where it belongs (every iteration, for late results). */
      readonly taskIndex: Readonly<Record<string, { readonly stageId: string; readonly iteration: number; readonly key: string }>>;
      readonly failure: FailureSteps | null;
      readonly startedAt: string;
      readonly endedAt: string | null;
      readonly error: string | null;
      /** The run this one reruns, and from which stage. */
      readonly rerunOf: RerunLink | null;
      /** Runs started as reruns of this one. */
      readonly reruns: readonly { readonly runId: string; readonly fromStage: string }[];
      /** The run-level SLA ran out while the run was open. */
      readonly slaBreached: boolean;
    });

export type ExistingRun = Extract<RunState, { exists: true }>;

/** Key prefix of a stage's cleanup tasks (`cleanup:archive_artifacts`), apart from its work's task keys. */
export const CLEANUP_KEY_PREFIX = 'cleanup:';

/** Pseudo stage id under which `on_failure` tasks are indexed and reported. */
export const FAILURE_STEPS_STAGE = 'on_failure';

export const INITIAL_RUN_STATE: RunState = { exists: false };

/** Whether the run can still change (not success, failure or cancelled). */
export function isOpen(state: RunState): state is ExistingRun {
  return state.exists && (state.status === 'running' || state.status === 'paused');
}

function emptyStage(stageId: string): StageRecord {
  return {
    stageId,
    status: 'pending',
    iteration: 0,
    runs: 0,
    outcome: null,
    outputs: {},
    error: null,
    skipReason: null,
    tasks: {},
    slaBreached: false,
    slaMs: null,
    startedAt: null,
    endedAt: null,
    rejections: 0,
    feedback: null,
    awaiting: null,
    approvedIteration: 0,
    acceptedIteration: 0,
    cleanup: null,
  };
}

/** The run's stages as the workflow-dsl graph helpers want them. */
export function runResults(state: ExistingRun): RunResults {
  const out: Record<string, StageResult> = {};
  for (const [id, s] of Object.entries(state.stages)) {
    const branches: Record<string, { status: StageStatus; outputs: Readonly<Record<string, unknown>> }> = {};
    for (const [key, t] of Object.entries(s.tasks)) branches[key] = { status: t.status, outputs: t.outputs };
    out[id] = {
      status: s.status,
      ...(s.outcome === null ? {} : { outcome: s.outcome }),
      outputs: s.outputs,
      runs: s.runs,
      branches,
    };
  }
  return out;
}

/** Task ids of the run whose result has not come back yet (stage tasks and cleanup tasks of the current iterations, failure steps). */
export function openTaskIds(state: ExistingRun): string[] {
  const ids: string[] = [];
  for (const s of Object.values(state.stages)) {
    for (const t of Object.values(s.tasks)) if (t.status === 'running') ids.push(t.spec.taskId);
    for (const t of Object.values(s.cleanup?.tasks ?? {})) if (t.status === 'running') ids.push(t.spec.taskId);
  }
  for (const [taskId, st] of Object.entries(state.failure?.tasks ?? {})) if (st === 'running') ids.push(taskId);
  return ids;
}

function withStage(state: ExistingRun, stageId: string, change: (s: StageRecord) => StageRecord): ExistingRun {
  const current = state.stages[stageId] ?? emptyStage(stageId);
  return { ...state, stages: { ...state.stages, [stageId]: change(current) } };
}

function planNext(state: ExistingRun, next: { ready: readonly string[]; waiting: readonly string[] }): ExistingRun {
  let s = state;
  for (const id of next.waiting) s = withStage(s, id, (st) => (st.status === 'pending' || st.status === 'succeeded' || st.status === 'skipped' ? { ...st, status: 'waiting' } : st));
  if (s.status === 'paused') s = { ...s, deferred: [...s.deferred, ...next.ready.filter((id) => !s.deferred.includes(id))] };
  return s;
}

/** Applies one event. Pure. */
export function evolveRun(state: RunState, event: RunEvent): RunState {
  if (event.type === 'RunStarted') {
    const d = event.data;
    return {
      exists: true,
      runId: d.runId,
      workflowId: d.workflowId,
      version: d.version,
      hash: d.hash,
      params: d.params,
      priority: d.priority,
      trigger: d.trigger,
      startedBy: d.startedBy ?? null,
      status: 'running',
      stages: {},
      deferred: [],
      taskIndex: {},
      failure: null,
      startedAt: d.startedAt,
      endedAt: null,
      error: null,
      rerunOf: d.rerunOf ?? null,
      reruns: [],
      slaBreached: false,
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'StageStarted': {
      const d = event.data;
      const tasks: Record<string, RunTaskRecord> = {};
      const index = { ...state.taskIndex };
      for (const t of d.tasks) {
        tasks[t.key] = { spec: t, status: 'running', agentId: null, outputs: {}, error: null };
        index[t.taskId] = { stageId: d.stageId, iteration: d.iteration, key: t.key };
      }
      const s = withStage(state, d.stageId, (st) => ({
        ...st,
        status: 'running',
        iteration: d.iteration,
        outcome: null,
        outputs: {},
        error: null,
        skipReason: null,
        tasks,
        slaBreached: false,
        slaMs: d.slaMs,
        startedAt: d.startedAt,
        endedAt: null,
        feedback: null,
        awaiting: null,
        cleanup: null,
      }));
      return { ...s, taskIndex: index, deferred: s.deferred.filter((id) => id !== d.stageId) };
    }
    case 'StageCleanupStarted': {
      const d = event.data;
      const index = { ...state.taskIndex };
      const tasks: Record<string, RunTaskRecord> = {};
      for (const t of d.tasks) {
        tasks[t.key] = { spec: t, status: 'running', agentId: null, outputs: {}, error: null };
        index[t.taskId] = { stageId: d.stageId, iteration: d.iteration, key: t.key };
      }
      const s = withStage(state, d.stageId, (st) => ({ ...st, cleanup: { iteration: d.iteration, outcome: d.outcome, tasks } }));
      return { ...s, taskIndex: index };
    }
    case 'StageTaskFinished': {
      const d = event.data;
      const approval = state.stages[d.stageId]?.awaiting?.tasks[d.key];
      if (approval !== undefined && approval.taskId === d.taskId) {
        const decision = d.status === 'succeeded' && decisionOf(d.outputs) === 'approved' ? 'approved' : 'rejected';
        return withStage(state, d.stageId, (st) =>
          st.awaiting === null ? st : { ...st, awaiting: { ...st.awaiting, tasks: { ...st.awaiting.tasks, [d.key]: { ...approval, status: decision } } } },
        );
      }
      if (state.failure !== null && d.taskId in state.failure.tasks) {
        return { ...state, failure: { ...state.failure, tasks: { ...state.failure.tasks, [d.taskId]: d.status } } };
      }
      const cleanupTask = state.stages[d.stageId]?.cleanup?.tasks[d.key];
      if (cleanupTask !== undefined && cleanupTask.spec.taskId === d.taskId) {
        return withStage(state, d.stageId, (st) =>
          st.cleanup === null ? st : { ...st, cleanup: { ...st.cleanup, tasks: { ...st.cleanup.tasks, [d.key]: { ...cleanupTask, status: d.status, agentId: d.agentId, outputs: d.outputs, error: d.error } } } },
        );
      }
      return withStage(state, d.stageId, (st) => {
        const t = st.tasks[d.key];
        if (t === undefined || st.iteration !== d.iteration) return st;
        return { ...st, tasks: { ...st.tasks, [d.key]: { ...t, status: d.status, agentId: d.agentId, outputs: d.outputs, error: d.error } } };
      });
    }
    case 'StageCompleted': {
      const d = event.data;
      const s = withStage(state, d.stageId, (st) => ({ ...st, status: 'succeeded', runs: st.runs + 1, outcome: d.outcome, outputs: d.outputs, endedAt: d.completedAt }));
      return planNext(s, d.next);
    }
    case 'StageFailed': {
      const d = event.data;
      const s = withStage(state, d.stageId, (st) => ({ ...st, status: 'failed', outcome: 'failed', error: d.error, endedAt: d.failedAt }));
      return planNext(s, d.next);
    }
    case 'StageSkipped': {
      const d = event.data;
      const s = withStage(state, d.stageId, (st) => ({ ...st, status: 'skipped', skipReason: d.reason, tasks: {}, startedAt: d.skippedAt, endedAt: d.skippedAt }));
      return planNext({ ...s, deferred: s.deferred.filter((id) => id !== d.stageId) }, d.next);
    }
    case 'StageReused': {
      const d = event.data;
      return withStage(state, d.stageId, (st) => ({
        ...st,
        status: d.status,
        runs: d.status === 'succeeded' ? 1 : 0,
        outcome: d.outcome,
        outputs: d.outputs,
        skipReason: d.status === 'skipped' ? `skipped in run ${d.sourceRunId}` : null,
        startedAt: d.reusedAt,
        endedAt: d.reusedAt,
      }));
    }
    case 'RunSlaBreached':
      return { ...state, slaBreached: true };
    case 'RunRerunStarted':
      return { ...state, reruns: [...state.reruns, { runId: event.data.rerunRunId, fromStage: event.data.fromStage }] };
    case 'StageSlaBreached':
      return withStage(state, event.data.stageId, (st) => ({ ...st, slaBreached: true }));
    case 'StageApprovalRequested': {
      const d = event.data;
      const index = { ...state.taskIndex };
      const tasks: Record<string, { taskId: string; approver: string; status: 'running' }> = {};
      for (const t of d.tasks) {
        index[t.taskId] = { stageId: d.stageId, iteration: d.iteration, key: t.key };
        tasks[t.key] = { taskId: t.taskId, approver: t.requirement.agentId ?? t.agent, status: 'running' };
      }
      const awaiting: Awaiting = {
        kind: d.kind,
        when: d.when,
        approvers: d.approvers,
        reason: d.reason,
        iteration: d.iteration,
        tasks,
        onApprove: d.when === 'before' ? 'start' : 'complete',
      };
      const s = withStage(state, d.stageId, (st) => ({
        ...st,
        status: 'running',
        awaiting,
        ...(d.when === 'before' ? { iteration: st.iteration, tasks: {}, startedAt: d.requestedAt, endedAt: null } : {}),
      }));
      return { ...s, taskIndex: index, deferred: s.deferred.filter((id) => id !== d.stageId) };
    }
    case 'StageApproved': {
      const d = event.data;
      return withStage(state, d.stageId, (st) => {
        if (st.awaiting === null) return st;
        if (st.awaiting.when === 'before') return { ...st, awaiting: null, status: 'waiting', approvedIteration: d.iteration };
        return { ...st, awaiting: null, acceptedIteration: d.iteration };
      });
    }
    case 'StageRejected': {
      const d = event.data;
      return withStage(state, d.stageId, (st) => ({ ...st, awaiting: null, status: 'waiting', rejections: d.rejections }));
    }
    case 'StageReworkRequested': {
      const d = event.data;
      let s: ExistingRun = withStage(state, d.stageId, (st) => ({ ...st, rejections: d.rejections, status: st.status === 'running' ? 'waiting' : st.status }));
      for (const id of d.backTo) s = withStage(s, id, (st) => ({ ...st, feedback: d.feedback }));
      return s;
    }
    case 'StageEscalated': {
      const d = event.data;
      return withStage(state, d.stageId, (st) => ({
        ...st,
        status: 'running',
        rejections: d.rejections,
        endedAt: null,
        awaiting: { kind: 'human', when: 'after', approvers: ['human'], reason: 'review_escalated', iteration: d.iteration, tasks: {}, onApprove: d.onApprove },
      }));
    }
    case 'FailureStepsStarted': {
      const d = event.data;
      const index = { ...state.taskIndex };
      for (const t of d.tasks) index[t.taskId] = { stageId: FAILURE_STEPS_STAGE, iteration: 0, key: t.key };
      return { ...state, taskIndex: index, failure: { stageId: d.stageId, reason: d.reason, tasks: Object.fromEntries(d.tasks.map((t) => [t.taskId, 'running'])) } };
    }
    case 'RunCompleted':
      return { ...state, status: 'success', endedAt: event.data.completedAt, deferred: [] };
    case 'RunFailed':
      return { ...state, status: 'failure', endedAt: event.data.failedAt, error: event.data.error, deferred: [] };
    case 'RunCancelled':
      return { ...state, status: 'cancelled', endedAt: event.data.cancelledAt, error: event.data.reason, deferred: [] };
    case 'RunPaused':
      return { ...state, status: 'paused' };
    case 'RunResumed':
      return { ...state, status: 'running' };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** Folds a run's events into its state. */
export function foldRun(events: readonly RunEvent[]): RunState {
  return events.reduce(evolveRun, INITIAL_RUN_STATE);
}

/** An approval task's decision, from its outputs: `decision` (or `outcome`) `approved`/`approve`; anything else rejects. */
export function decisionOf(outputs: Readonly<Record<string, unknown>>): 'approved' | 'rejected' {
  const v = outputs['decision'] ?? outputs['outcome'] ?? outputs['approved'];
  if (v === true || v === 'approved' || v === 'approve') return 'approved';
  return 'rejected';
}
