import { BatonError, IllegalTransitionError, NotFoundError, ValidationError, type Actor, type HandoffSla, type RetryBackoff, type TaskChecks, type TaskPriority, type TaskRequirement } from '@baton/contracts';
import {
  branchSyncState,
  conditionContext,
  downstreamOf,
  effectiveRetry,
  initialStages,
  nextStages,
  shouldSkip,
  stageTasks,
  type AgentRef,
  type FailureStep,
  type RetryPolicy,
  type SkipDecision,
  type StageDefinition,
  type WorkflowDefinition,
} from '@baton/workflow-dsl';
import type { Cmd } from '../task.commands';
import type { ApprovalRequest, FailureNotification, NextPlan, RerunLink, ReusedStage, RunEvent, StageTaskSpec } from './run.events';
import { CLEANUP_KEY_PREFIX, decisionOf, evolveRun, FAILURE_STEPS_STAGE, isOpen, openTaskIds, runResults, type ExistingRun, type RunState } from './run.state';

export type StartRunCommand = Cmd<
  'StartRun',
  {
    readonly runId: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly priority: TaskPriority;
    readonly trigger: Readonly<Record<string, unknown>>;
    readonly startedBy?: Actor | null;
    /** A rerun: the source run, the stage to start at, and the stages that keep the source's results (see {@link rerunPlan}). */
    readonly rerun?: RerunLink & { readonly reused: readonly ReusedStage[] };
  }
>;
/** On the source run: a rerun of it was started (so its audit names the new run). */
export type RecordRerunCommand = Cmd<'RecordRerun', { readonly rerunRunId: string; readonly fromStage: string; readonly requestedBy: Actor | null; readonly reason: string | null }>;
/** A task of the run finished for good (TaskCompleted, TaskFailed with `final`, TaskCancelled). */
export type RecordTaskResultCommand = Cmd<
  'RecordTaskResult',
  {
    readonly taskId: string;
    readonly status: 'succeeded' | 'failed';
    readonly agentId: string | null;
    readonly outputs: Readonly<Record<string, unknown>>;
    readonly error: string | null;
  }
>;
export type CancelRunCommand = Cmd<'CancelRun', { readonly reason: string }>;
export type PauseRunCommand = Cmd<'PauseRun', { readonly reason: string | null }>;
export type ResumeRunCommand = Cmd<'ResumeRun', Record<string, never>>;
/** The durable timer of the workflow's run-level `sla` fired. */
export type BreachRunSlaCommand = Cmd<'BreachRunSla', Record<string, never>>;
/** The durable SLA timer of a stage iteration fired. */
export type BreachSlaCommand = Cmd<'BreachSla', { readonly stageId: string; readonly iteration: number }>;

/** A person decides on a stage that waits for approval. `by` is the command's actor. */
export type ApproveStageCommand = Cmd<'ApproveStage', { readonly stageId: string; readonly reason: string; readonly by: Actor }>;
export type RejectStageCommand = Cmd<'RejectStage', { readonly stageId: string; readonly reason: string; readonly by: Actor }>;

export type RunCommand =
  | StartRunCommand
  | RecordTaskResultCommand
  | CancelRunCommand
  | PauseRunCommand
  | ResumeRunCommand
  | BreachSlaCommand
  | BreachRunSlaCommand
  | ApproveStageCommand
  | RejectStageCommand
  | RecordRerunCommand;

/** What decide needs besides the command and the state: the pinned definition and the task id rule. */
export interface RunDeciderContext {
  readonly def: WorkflowDefinition;
  /** Deterministic id of the task `key` of a stage iteration, so a repeated decision creates the same task. */
  readonly taskId: (runId: string, stageId: string, iteration: number, key: string) => string;
  /**
   * Ids of the handoff specs that apply to a task's work (the handoff catalog): from its agent,
   * to one of the next stages' agents or about an artifact the stage declares. None when absent.
   */
  readonly handoffSpecsFor?: (fromAgentId: string, toAgentIds: readonly string[], declaredOutputs: readonly string[] | null) => readonly string[];
  /** Rejections of a stage's work (reviews, approvers, blocking criteria) before it goes to a human. Default 3. */
  readonly maxRejections?: number;
  /** The SLAs of the handoffs an agent receives from agents that delivered earlier in the run (the handoff catalog); null when none. */
  readonly handoffSlaFor?: (toAgentId: string, fromAgentIds: readonly string[]) => HandoffSla | null;
}

export const DEFAULT_MAX_REJECTIONS = 3;

/**
 * What a rerun of `source` from `fromStage` takes over: every stage the chosen one's work does not
 * flow into (see `downstreamOf`) that succeeded or was skipped in the source, with its recorded
 * result, in workflow order. Refused when the stage is unknown, or when a stage it takes work from
 * has no result to reuse (the rerun would start without that stage's outputs).
 */
export function rerunPlan(def: WorkflowDefinition, source: ExistingRun, fromStage: string): ReusedStage[] {
  if (def.stages[fromStage] === undefined) {
    throw new ValidationError(`workflow ${def.id} ${def.version} has no stage "${fromStage}"; its stages are ${def.stageOrder.join(', ')}`, { fromStage, stages: [...def.stageOrder] });
  }
  const again = downstreamOf(def, fromStage);
  const reused: ReusedStage[] = [];
  for (const stageId of def.stageOrder) {
    if (again.has(stageId)) continue;
    const st = source.stages[stageId];
    if (st === undefined || (st.status !== 'succeeded' && st.status !== 'skipped')) continue;
    reused.push({ stageId, status: st.status, outcome: st.outcome, outputs: st.outputs });
  }
  const have = new Set(reused.map((r) => r.stageId));
  const missing = upstreamStages(def, fromStage).filter((id) => !again.has(id) && !have.has(id));
  if (missing.length > 0) {
    throw new ValidationError(
      `run ${source.runId} cannot be rerun from ${fromStage}: ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no result in it to start from (rerun from an earlier stage)`,
      { runId: source.runId, fromStage, missing },
    );
  }
  return reused;
}

/** Agent ids of the stages a stage hands its work to (its `next` targets, their branches). */
export function nextAgentIds(def: WorkflowDefinition, stageId: string): string[] {
  const stage = def.stages[stageId];
  if (stage === undefined) return [];
  const targets = stage.next.kind === 'sequential' ? [stage.next.target] : stage.next.kind === 'by_outcome' ? Object.values(stage.next.targets) : [];
  for (const s of Object.values(def.stages)) if (s.dependsOn.includes(stageId)) targets.push(s.id);
  const ids = new Set<string>();
  for (const t of targets) {
    const target = def.stages[t];
    if (target === undefined) continue;
    if (target.agent?.kind === 'id') ids.add(target.agent.value);
    for (const b of target.branches) if (b.agent.kind === 'id') ids.add(b.agent.value);
  }
  return [...ids];
}

/** Stages whose work flows into `stageId` (its `depends_on`, and stages whose `next` names it). */
export function upstreamStages(def: WorkflowDefinition, stageId: string): string[] {
  const stage = def.stages[stageId];
  const ups = new Set<string>(stage?.dependsOn ?? []);
  for (const s of Object.values(def.stages)) {
    if (s.id === stageId) continue;
    const targets = s.next.kind === 'sequential' ? [s.next.target] : s.next.kind === 'by_outcome' ? Object.values(s.next.targets) : [];
    if (targets.includes(stageId)) ups.add(s.id);
  }
  return [...ups];
}

/**
 * What the handoff-validator checks when a stage task completes: the handoff specs from its
 * agent to the next agents, the stage's `quality_gate`, and its `criteria`. A `blocking` stage
 * with criteria is a review: a failing criterion is its verdict on the work upstream. Null
 * when there is nothing to check.
 */
export function checksFor(def: WorkflowDefinition, stage: StageDefinition, taskKey: string, agent: AgentRef | null, ctx: RunDeciderContext): TaskChecks | null {
  const branch = stage.branches.find((b) => b.id === taskKey);
  const declaredOutputs = branch !== undefined ? (branch.outputs.length > 0 ? branch.outputs : null) : stage.outputs;
  const toAgentIds = nextAgentIds(def, stage.id);
  const specIds = agent?.kind === 'id' && ctx.handoffSpecsFor !== undefined ? [...ctx.handoffSpecsFor(agent.value, toAgentIds, declaredOutputs)] : [];
  // Gates and criteria are the stage's; a parallel stage's branches each deliver part of it, so they are checked on the stage's own task only.
  const own = branch === undefined;
  const qualityGate = own ? [...stage.qualityGate] : [];
  const criteria = own ? [...stage.criteria] : [];
  if (specIds.length === 0 && qualityGate.length === 0 && criteria.length === 0) return null;
  return { mode: stage.blocking && criteria.length > 0 ? 'review' : 'handoff', specIds, toAgentIds, declaredOutputs: declaredOutputs === null ? null : [...declaredOutputs], qualityGate, criteria };
}

/** Findings a review task reported: the validator's failures (`verdict: rejected`), or the agent's own `findings`. */
function findingsOf(outputs: Readonly<Record<string, unknown>>): unknown[] {
  const f = outputs['findings'];
  const failures = (outputs['handoff'] as { failures?: unknown } | undefined)?.failures;
  return [...(Array.isArray(failures) ? failures : []), ...(Array.isArray(f) ? f : [])];
}

function reasonOf(outputs: Readonly<Record<string, unknown>>, fallback: string): string {
  const r = outputs['reason'] ?? outputs['summary'];
  return typeof r === 'string' && r !== '' ? r : fallback;
}

/**
 * Attempts of a stage task whose stage has no `retry` policy: one (a stage retries only when its
 * workflow says so). Tasks submitted on their own default to SUBMITTED_TASK_MAX_ATTEMPTS.
 */
export const STAGE_TASK_MAX_ATTEMPTS_WITHOUT_RETRY = 1;

/**
 * Maps a stage's agent selector to a task requirement: `id` → agentId, `role` → role,
 * `capability` → capabilities, `auto_select_by_component` → the capability named by the
 * `component` param (or the triggering work item's `component`). `orchestrator` → null (the
 * control plane does the step itself; it completes at once).
 */
export function requirementFor(
  agent: AgentRef | null,
  params: Readonly<Record<string, unknown>>,
  trigger: Readonly<Record<string, unknown>>,
): { readonly ok: true; readonly requirement: TaskRequirement | null } | { readonly ok: false; readonly error: string } {
  if (agent === null) return { ok: true, requirement: null };
  switch (agent.kind) {
    case 'id':
      return { ok: true, requirement: { agentId: agent.value, capabilities: [] } };
    case 'role':
      return { ok: true, requirement: { role: agent.value, capabilities: [] } };
    case 'capability':
      return { ok: true, requirement: { capabilities: [agent.value] } };
    case 'auto_select_by_component': {
      const component = params['component'] ?? trigger['component'];
      if (typeof component !== 'string' || component === '') {
        return { ok: false, error: 'agent "auto_select_by_component" needs a "component" param or work item field' };
      }
      return { ok: true, requirement: { capabilities: [component] } };
    }
    case 'orchestrator':
      return { ok: true, requirement: null };
    default: {
      const unreachable: never = agent.kind;
      return unreachable;
    }
  }
}

function agentLabel(agent: AgentRef | null): string {
  if (agent === null) return 'orchestrator';
  return agent.kind === 'id' || agent.kind === 'auto_select_by_component' || agent.kind === 'orchestrator' ? agent.value : `${agent.kind}:${agent.value}`;
}

/** The back-off of a task whose stage sets no retry policy, or that gets one attempt (where it is never used). */
const DEFAULT_RETRY: RetryBackoff = { kind: 'exponential', baseMs: 1000, maxMs: 60_000 };

/** Approval tasks and failure steps are tried once. */
const SINGLE_ATTEMPT = { maxAttempts: 1, retry: DEFAULT_RETRY };

function backoffOf(policy: RetryPolicy | null): { maxAttempts: number; retry: RetryBackoff } {
  if (policy === null) return { maxAttempts: STAGE_TASK_MAX_ATTEMPTS_WITHOUT_RETRY, retry: DEFAULT_RETRY };
  // The task engine knows linear and exponential; "fixed" is linear capped at its first delay.
  const kind = policy.backoff === 'exponential' ? 'exponential' : 'linear';
  const maxMs = policy.backoff === 'fixed' ? policy.initialDelayMs : policy.maxDelayMs;
  return { maxAttempts: policy.maxAttempts, retry: { kind, baseMs: policy.initialDelayMs, maxMs } };
}

/**
 * The outcome that keys an outcome-keyed `next`, read from the stage's task outputs:
 * 1. `outputs.outcome` when it is a string;
 * 2. else the first declared output of the stage (e.g. `severity_classification`) whose value is
 *    a string naming a key of the `next` map;
 * 3. else, for a `next` map, any string output value naming one of its keys.
 * Null when none applies (a sequential `next` needs no outcome).
 */
export function outcomeOf(stage: StageDefinition, outputs: Readonly<Record<string, unknown>>): string | null {
  const direct = outputs['outcome'];
  if (typeof direct === 'string') return direct;
  if (stage.next.kind !== 'by_outcome') return null;
  const keys = new Set(Object.keys(stage.next.targets));
  for (const name of stage.outputs ?? []) {
    const v = outputs[name];
    if (typeof v === 'string' && keys.has(v)) return v;
  }
  for (const v of Object.values(outputs)) if (typeof v === 'string' && keys.has(v)) return v;
  return null;
}

/** Builds a run's events while evolving a working copy, so later decisions see earlier ones. */
class Plan {
  readonly events: RunEvent[] = [];
  constructor(
    public state: ExistingRun,
    readonly ctx: RunDeciderContext,
    readonly now: string,
  ) {}

  emit(event: RunEvent): void {
    this.events.push(event);
    this.state = evolveRun(this.state, event) as ExistingRun;
  }

  /** Run params with the workflow's defaults under them (conditions see the same). */
  get params(): Readonly<Record<string, unknown>> {
    const defaults = Object.fromEntries(Object.entries(this.ctx.def.params).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
    return { ...defaults, ...this.state.params };
  }

  get runId(): string {
    return this.state.runId;
  }

  stage(id: string): StageDefinition {
    const s = this.ctx.def.stages[id];
    if (s === undefined) throw new BatonError('INTERNAL', `workflow ${this.ctx.def.id} has no stage ${id}`);
    return s;
  }

  /** Starts (or skips) a stage that became ready; paused runs defer it (evolve records that). */
  startStage(stageId: string): void {
    // A failing run (on_failure steps under way) starts nothing new.
    if (this.state.status !== 'running' || this.state.failure !== null) return;
    const current = this.state.stages[stageId];
    if (current?.status === 'running') return;
    const stage = this.stage(stageId);
    let skip: SkipDecision;
    try {
      skip = shouldSkip(stage, conditionContext(this.ctx.def, runResults(this.state), this.state.params, this.state.trigger));
    } catch (err) {
      this.failStage(stageId, (current?.iteration ?? 0) + 1, `condition could not be evaluated: ${(err as Error).message}`);
      return;
    }
    if (skip.skip) {
      const provisional = evolveRun(this.state, { type: 'StageSkipped', data: { runId: this.runId, stageId, reason: skip.reason, next: { ready: [], waiting: [] }, skippedAt: this.now } }) as ExistingRun;
      const next = nextStages(this.ctx.def, stageId, undefined, runResults(provisional));
      this.emit({ type: 'StageSkipped', data: { runId: this.runId, stageId, reason: skip.reason, next: { ready: next.ready, waiting: next.waiting }, skippedAt: this.now } });
      this.follow(next.ready);
      return;
    }
    const iteration = (current?.iteration ?? 0) + 1;
    if (stage.requiresApproval.length > 0 && current?.approvedIteration !== iteration) {
      this.requestApproval(stageId, iteration, { kind: 'human', when: 'before', approvers: stage.requiresApproval, reason: 'requires_approval' }, []);
      return;
    }
    const feedback = current?.feedback ?? null;
    const specs: StageTaskSpec[] = [];
    const policy = backoffOf(effectiveRetry(this.ctx.def, stage));
    const upstream = Object.fromEntries(Object.values(this.state.stages).filter((s) => s.status === 'succeeded').map((s) => [s.stageId, s.outputs]));
    for (const t of stageTasks(stage)) {
      const req = requirementFor(t.agent, this.params, this.state.trigger);
      if (!req.ok) {
        this.failStage(stageId, iteration, `task ${t.id}: ${req.error}`);
        return;
      }
      if (req.requirement === null) continue;
      const branch = stage.branches.find((b) => b.id === t.id);
      const checks = checksFor(this.ctx.def, stage, t.id, t.agent, this.ctx);
      const handoffSla = t.agent?.kind === 'id' && this.ctx.handoffSlaFor !== undefined ? this.ctx.handoffSlaFor(t.agent.value, this.deliveredBy()) : null;
      specs.push({
        key: t.id,
        taskId: this.ctx.taskId(this.runId, stageId, iteration, t.id),
        action: t.action,
        requirement: req.requirement,
        priority: this.state.priority,
        agent: agentLabel(t.agent),
        timeoutMs: branch?.timeoutMs ?? stage.timeoutMs,
        ...policy,
        inputs: {
          ...this.placeOf(stageId, iteration),
          params: this.state.params,
          stageParams: branch?.params ?? stage.params,
          artifacts: branch?.inputs ?? stage.inputs,
          tickets: branch?.tickets ?? null,
          trigger: this.state.trigger,
          upstream,
          // What the handoff-validator will check on completion, so the agent can deliver to it.
          checks,
          qualityGate: stage.qualityGate,
          approvers: stage.approvers,
          requiresApproval: stage.requiresApproval,
          ...(feedback === null ? {} : { feedback }),
          ...(handoffSla === null ? {} : { handoffSla }),
        },
        checks,
      });
    }
    const slaDueAt = stage.slaMs === null ? null : new Date(Date.parse(this.now) + stage.slaMs).toISOString();
    this.emit({ type: 'StageStarted', data: { runId: this.runId, stageId, iteration, tasks: specs, slaMs: stage.slaMs, slaDueAt, startedAt: this.now } });
    // A stage with no agent task (orchestrator actions, e.g. `notify_stakeholders`) is done by the control plane at once.
    if (specs.length === 0) this.completeStage(stageId);
  }

  /** Where a stage task works, the first of its inputs: the workflow, the run, the stage and its iteration. */
  placeOf(stageId: string, iteration: number): { workflowId: string; runId: string; stageId: string; iteration: number } {
    return { workflowId: this.ctx.def.id, runId: this.runId, stageId, iteration };
  }

  /** Agent ids of the stages that delivered work in this run so far (senders of the handoffs a new stage receives). */
  deliveredBy(): string[] {
    const ids = new Set<string>();
    for (const st of Object.values(this.state.stages)) {
      if (st.status !== 'succeeded') continue;
      const def = this.ctx.def.stages[st.stageId];
      if (def?.agent?.kind === 'id') ids.add(def.agent.value);
      for (const b of def?.branches ?? []) if (b.agent.kind === 'id') ids.add(b.agent.value);
    }
    return [...ids];
  }

  follow(ready: readonly string[]): void {
    for (const id of ready) this.startStage(id);
  }

  /** The stage's merged task outputs (branches first, its own task last). */
  stageOutputs(stageId: string): Record<string, unknown> {
    const record = this.state.stages[stageId];
    const outputs: Record<string, unknown> = {};
    if (record === undefined) return outputs;
    const own = record.tasks[stageId];
    for (const [key, t] of Object.entries(record.tasks)) if (key !== stageId && t.status === 'succeeded') Object.assign(outputs, t.outputs);
    if (own !== undefined) Object.assign(outputs, own.outputs);
    return outputs;
  }

  get maxRejections(): number {
    return this.ctx.maxRejections ?? DEFAULT_MAX_REJECTIONS;
  }

  /**
   * The stage's tasks are done. Before it may advance: a blocking review's verdict (its
   * criteria) must pass, and its `approvers` must approve. `exception`: a human approved it
   * anyway (an escalation), so neither applies.
   */
  completeStage(stageId: string, options: { readonly exception?: boolean; readonly outcome?: string } = {}): void {
    const stage = this.stage(stageId);
    const record = this.state.stages[stageId];
    if (record === undefined) return;
    if (options.exception !== true) {
      const rejected = Object.values(record.tasks).filter((t) => t.status === 'succeeded' && (t.outputs['verdict'] === 'rejected'));
      if (stage.blocking && rejected.length > 0) {
        const first = rejected[0];
        const findings = rejected.flatMap((t) => findingsOf(t.outputs));
        const by: Actor = { kind: 'agent', id: first?.agentId ?? first?.spec.agent ?? 'unknown' };
        this.rejectWork(stageId, by, reasonOf(first?.outputs ?? {}, `the ${stageId} criteria did not hold`), findings, upstreamStages(this.ctx.def, stageId));
        return;
      }
      if (stage.approvers.length > 0 && record.acceptedIteration !== record.iteration) {
        this.requestAgentApproval(stageId);
        return;
      }
    }
    const outcome = options.outcome ?? outcomeOf(stage, this.stageOutputs(stageId));
    // The work stands; its cleanup runs before the stage completes (once per iteration: an escalated stage approved later does not clean up twice).
    if (stage.cleanup.length > 0 && record.cleanup?.iteration !== record.iteration) {
      this.startCleanup(stageId, outcome);
      return;
    }
    this.finishStage(stageId, outcome);
  }

  /**
   * One task per `cleanup` step, each with the step as its action: for the stage's own agent (the
   * agent that did the work cleans up after it), or, on a stage without one (an orchestrator stage
   * such as `notify_stakeholders`, a pure fan-out), for an agent with the step as a capability.
   * Attempts and time-out as the stage's own tasks; the stage's SLA keeps running.
   */
  startCleanup(stageId: string, outcome: string | null): void {
    const stage = this.stage(stageId);
    const record = this.state.stages[stageId];
    if (record === undefined) return;
    const own = requirementFor(stage.agent, this.params, this.state.trigger);
    const ownRequirement = own.ok ? own.requirement : null;
    const policy = backoffOf(effectiveRetry(this.ctx.def, stage));
    const outputs = this.stageOutputs(stageId);
    const tasks: StageTaskSpec[] = [...new Set(stage.cleanup)].map((step) => ({
      key: `${CLEANUP_KEY_PREFIX}${step}`,
      taskId: this.ctx.taskId(this.runId, stageId, record.iteration, `cleanup-${step}`),
      action: step,
      requirement: ownRequirement ?? { capabilities: [step] },
      priority: this.state.priority,
      agent: ownRequirement === null ? `capability:${step}` : agentLabel(stage.agent),
      timeoutMs: stage.timeoutMs,
      ...policy,
      inputs: {
        ...this.placeOf(stageId, record.iteration),
        cleanup: step,
        params: this.state.params,
        stageParams: stage.params,
        artifacts: stage.outputs,
        trigger: this.state.trigger,
        // What the work produced, for the cleanup to act on (not `outputs`, which names what a task is to deliver).
        stageOutputs: outputs,
      },
      checks: null,
    }));
    const slaDueAt = record.slaMs === null || record.startedAt === null || record.slaBreached ? null : new Date(Date.parse(record.startedAt) + record.slaMs).toISOString();
    this.emit({ type: 'StageCleanupStarted', data: { runId: this.runId, stageId, iteration: record.iteration, tasks, outcome, slaDueAt, startedAt: this.now } });
  }

  /** Records the stage's completion (with the cleanup steps that failed, if it had cleanup) and follows its `next`. */
  finishStage(stageId: string, outcome: string | null): void {
    const record = this.state.stages[stageId];
    if (record === undefined) return;
    const outputs = this.stageOutputs(stageId);
    const cleanup = record.cleanup?.iteration === record.iteration ? record.cleanup : null;
    const cleanupFailed = cleanup === null ? {} : { cleanupFailed: Object.values(cleanup.tasks).filter((t) => t.status === 'failed').map((t) => t.spec.action) };
    const base = { runId: this.runId, stageId, iteration: record.iteration, outcome, outputs, ...cleanupFailed, completedAt: this.now };
    const provisional = evolveRun(this.state, { type: 'StageCompleted', data: { ...base, next: { ready: [], waiting: [] } } }) as ExistingRun;
    const next = nextStages(this.ctx.def, stageId, outcome ?? undefined, runResults(provisional));
    const plan: NextPlan = { ready: next.ready, waiting: next.waiting };
    this.emit({ type: 'StageCompleted', data: { ...base, next: plan } });
    if (next.unmatchedOutcome !== null) {
      this.failRun(stageId, `stage ${stageId} reported outcome "${next.unmatchedOutcome}", which its next map does not name`);
      return;
    }
    if (next.loopExhausted !== null && next.loopExhausted.continueWith === null) {
      // A review loop that hit its bound goes to a human (001: "3+ iterations without resolution").
      this.escalate(stageId, {
        rejections: record.rejections + 1,
        findings: findingsOf(outputs),
        issue: `Stage ${stageId} rejected the work of ${next.loopExhausted.backTo} ${next.loopExhausted.maxIterations} times (loop bound reached)`,
        onApprove: 'outcome_approved',
      });
      return;
    }
    if (outcome === 'rejected' && plan.ready.length > 0) {
      const own = record.tasks[stageId];
      const by: Actor = { kind: 'agent', id: own?.agentId ?? own?.spec.agent ?? stageId };
      this.emit({
        type: 'StageReworkRequested',
        data: {
          runId: this.runId,
          stageId,
          iteration: record.iteration,
          backTo: [...plan.ready],
          feedback: { by, reason: reasonOf(outputs, `rejected by ${stageId}`), findings: findingsOf(outputs) },
          rejections: record.rejections + 1,
          requestedAt: this.now,
        },
      });
    }
    this.follow(plan.ready);
  }

  /** Creates `approve_stage` tasks for the stage's agent approvers; the stage waits for their decisions. */
  requestAgentApproval(stageId: string): void {
    const stage = this.stage(stageId);
    const record = this.state.stages[stageId];
    if (record === undefined) return;
    const outputs = this.stageOutputs(stageId);
    const tasks: StageTaskSpec[] = stage.approvers.map((approver) => {
      const key = `approval:${approver}`;
      return {
        key,
        taskId: this.ctx.taskId(this.runId, stageId, record.iteration, `approval-${approver}`),
        action: 'approve_stage',
        requirement: { agentId: approver, capabilities: [] },
        priority: this.state.priority,
        agent: approver,
        timeoutMs: null,
        ...SINGLE_ATTEMPT,
        inputs: {
          ...this.placeOf(stageId, record.iteration),
          approve: { stageId, action: stage.action, outputs },
          reply: 'complete with outputs {decision: "approved" | "rejected", reason, findings?}',
        },
        checks: null,
      };
    });
    this.requestApproval(stageId, record.iteration, { kind: 'agent', when: 'after', approvers: stage.approvers, reason: 'approvers' }, tasks);
  }

  /** Ask for a stage's approval: people before it starts (no tasks), or agent approvers after it (one task each). */
  requestApproval(stageId: string, iteration: number, gate: ApprovalRequest, tasks: readonly StageTaskSpec[]): void {
    this.emit({
      type: 'StageApprovalRequested',
      data: {
        runId: this.runId,
        workflowId: this.ctx.def.id,
        stageId,
        iteration,
        kind: gate.kind,
        when: gate.when,
        approvers: [...gate.approvers],
        reason: gate.reason,
        taskIds: tasks.map((t) => t.taskId),
        tasks: [...tasks],
        requestedAt: this.now,
      },
    });
  }

  /**
   * The stage's work was rejected (an approver, a blocking review's criteria, a person): count
   * it, and send the work back to `backTo` with the feedback, or to a human once the stage has
   * been rejected `maxRejections` times.
   */
  rejectWork(stageId: string, by: Actor, reason: string, findings: readonly unknown[], backTo: readonly string[]): void {
    const record = this.state.stages[stageId];
    if (record === undefined) return;
    const rejections = record.rejections + 1;
    this.emit({ type: 'StageRejected', data: { runId: this.runId, stageId, iteration: record.iteration, by, reason, findings: [...findings], rejections, rejectedAt: this.now } });
    if (rejections >= this.maxRejections) {
      this.escalate(stageId, { rejections, findings, issue: `Stage ${stageId} was rejected ${rejections} times; last by ${by.id}: ${reason}`, onApprove: 'complete' });
      return;
    }
    const targets = backTo.length > 0 ? backTo : [stageId];
    this.emit({
      type: 'StageReworkRequested',
      data: { runId: this.runId, stageId, iteration: record.iteration, backTo: [...targets], feedback: { by, reason, findings: [...findings] }, rejections, requestedAt: this.now },
    });
    this.follow(targets);
  }

  /** Holds the stage for a human, with the escalation format of seed 001. */
  escalate(stageId: string, e: { rejections: number; findings: readonly unknown[]; issue: string; onApprove: 'outcome_approved' | 'complete' }): void {
    const record = this.state.stages[stageId];
    const downstream = this.ctx.def.stageOrder.slice(this.ctx.def.stageOrder.indexOf(stageId) + 1);
    this.emit({
      type: 'StageEscalated',
      data: {
        runId: this.runId,
        workflowId: this.ctx.def.id,
        stageId,
        iteration: record?.iteration ?? 1,
        trigger: 'repeated_rejections',
        rejections: e.rejections,
        issue: e.issue,
        options: [
          { label: `Grant an exception: baton approve ${this.runId} ${stageId} --reason …`, tradeoff: 'the run goes on with work a reviewer rejected' },
          { label: `Stop here: baton reject ${this.runId} ${stageId} --reason …`, tradeoff: 'the stage fails and the run ends (after its on_failure steps)' },
        ],
        recommendation: e.findings.length > 0 ? `Read the ${e.findings.length} finding(s) of the last rejection before deciding` : null,
        blocking: downstream.length > 0 ? `stages ${downstream.join(', ')}` : 'the end of the run',
        findings: [...e.findings],
        onApprove: e.onApprove,
        escalatedAt: this.now,
      },
    });
  }

  /**
   * A stage failed for good. If its `next` map names a `failed` outcome, the run goes there;
   * otherwise the run fails (after its `on_failure` steps).
   */
  failStage(stageId: string, iteration: number, error: string): void {
    const stage = this.stage(stageId);
    const routed = stage.next.kind === 'by_outcome' && stage.next.targets['failed'] !== undefined;
    let plan: NextPlan = { ready: [], waiting: [] };
    if (routed) {
      const provisional = evolveRun(this.state, { type: 'StageFailed', data: { runId: this.runId, stageId, iteration, error, next: plan, failedAt: this.now } }) as ExistingRun;
      const next = nextStages(this.ctx.def, stageId, 'failed', runResults(provisional));
      plan = { ready: next.ready, waiting: next.waiting };
    }
    this.emit({ type: 'StageFailed', data: { runId: this.runId, stageId, iteration, error, next: plan, failedAt: this.now } });
    if (routed) this.follow(plan.ready);
    else this.failRun(stageId, `stage ${stageId} failed: ${error}`);
  }

  /** Runs the `on_failure` tasks first (stage's own list, else the workflow's); then RunFailed. */
  failRun(stageId: string | null, reason: string): void {
    if (!isOpen(this.state) || this.state.failure !== null) return;
    const stage = stageId === null ? undefined : this.ctx.def.stages[stageId];
    const steps: readonly FailureStep[] = stage !== undefined && stage.onFailure.length > 0 ? stage.onFailure : this.ctx.def.errorHandling.onFailure;
    const tasks: StageTaskSpec[] = [];
    const notifications: FailureNotification[] = [];
    steps.forEach((step, i) => {
      if (step.kind === 'notify') {
        notifications.push({ channel: step.channel, target: step.target, message: step.message });
        return;
      }
      const req = requirementFor(step.agent, this.params, this.state.trigger);
      if (!req.ok || req.requirement === null) return;
      const key = `on_failure_${i + 1}`;
      tasks.push({
        key,
        taskId: this.ctx.taskId(this.runId, FAILURE_STEPS_STAGE, 1, key),
        action: step.action,
        requirement: req.requirement,
        priority: this.state.priority,
        agent: agentLabel(step.agent),
        timeoutMs: null,
        ...SINGLE_ATTEMPT,
        inputs: { workflowId: this.ctx.def.id, runId: this.runId, stageId, reason, params: this.state.params, trigger: this.state.trigger },
      });
    });
    if (tasks.length > 0 || notifications.length > 0) {
      this.emit({ type: 'FailureStepsStarted', data: { runId: this.runId, stageId, reason, tasks, notifications, startedAt: this.now } });
    }
    if (tasks.length === 0) this.emit({ type: 'RunFailed', data: { runId: this.runId, stageId, error: reason, openTaskIds: openTaskIds(this.state), failedAt: this.now } });
  }

  /** Completes the run when nothing runs or waits to start any more. */
  settle(): void {
    if (!isOpen(this.state)) return;
    const f = this.state.failure;
    if (f !== null) {
      if (Object.values(f.tasks).every((s) => s !== 'running')) {
        this.emit({ type: 'RunFailed', data: { runId: this.runId, stageId: f.stageId, error: f.reason, openTaskIds: openTaskIds(this.state), failedAt: this.now } });
      }
      return;
    }
    const running = Object.values(this.state.stages).some((s) => s.status === 'running');
    if (running || this.state.deferred.length > 0) return;
    this.emit({ type: 'RunCompleted', data: { runId: this.runId, completedAt: this.now } });
  }
}

function existing(state: RunState): ExistingRun {
  if (!state.exists) throw new NotFoundError('run', 'unknown');
  return state;
}

function open(state: RunState, what: string): ExistingRun {
  const s = existing(state);
  if (s.status !== 'running' && s.status !== 'paused') throw new IllegalTransitionError(`run ${s.runId} is ${s.status}; it cannot ${what}`, { runId: s.runId, status: s.status });
  return s;
}

/**
 * The run aggregate: decides the events of one command against the run's state and its pinned
 * workflow definition. Pure. Stage graph rules come from `@baton/workflow-dsl` (initialStages,
 * nextStages, shouldSkip, stageTasks, branchSyncState); see docs/workflows.md "Runtime".
 *
 * Approvals and reviews: `requires_approval` holds a stage before its tasks start until a person
 * approves (ApproveStage; the run's starter may not); `approvers` get `approve_stage` tasks once
 * the stage's work is done; a blocking stage whose criteria fail (the validator's verdict on its
 * task) sends the work back upstream; every rejection is counted, and at `maxRejections`
 * (default 3), as at a review loop's bound, the stage is escalated to a human (StageEscalated).
 * Quality gates and handoff specs are checked per task on completion (`checksFor`).
 */
export function decideRun(command: RunCommand, state: RunState, ctx: RunDeciderContext): RunEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'StartRun': {
      if (state.exists) return [];
      const d = command.data;
      const started: RunEvent = {
        type: 'RunStarted',
        data: {
          runId: d.runId,
          workflowId: ctx.def.id,
          version: ctx.def.version,
          hash: ctx.def.hash,
          params: d.params,
          priority: d.priority,
          trigger: d.trigger,
          startedBy: d.startedBy ?? null,
          ...(d.rerun === undefined ? {} : { rerunOf: { runId: d.rerun.runId, fromStage: d.rerun.fromStage } }),
          ...(ctx.def.slaMs === null ? {} : { slaDueAt: new Date(Date.parse(now) + ctx.def.slaMs).toISOString() }),
          startedAt: now,
        },
      };
      const plan = new Plan(evolveRun(state, started) as ExistingRun, ctx, now);
      plan.events.push(started);
      if (d.rerun === undefined) plan.follow(initialStages(ctx.def));
      else {
        for (const r of d.rerun.reused) {
          plan.emit({ type: 'StageReused', data: { runId: d.runId, stageId: r.stageId, sourceRunId: d.rerun.runId, status: r.status, outcome: r.outcome, outputs: r.outputs, reusedAt: now } });
        }
        plan.follow([d.rerun.fromStage]);
      }
      plan.settle();
      return plan.events;
    }
    case 'RecordRerun': {
      const s = existing(state);
      const d = command.data;
      if (s.reruns.some((r) => r.runId === d.rerunRunId)) return [];
      return [{ type: 'RunRerunStarted', data: { runId: s.runId, rerunRunId: d.rerunRunId, fromStage: d.fromStage, requestedBy: d.requestedBy, reason: d.reason, requestedAt: now } }];
    }
    case 'RecordTaskResult': {
      const s = existing(state);
      if (!isOpen(s)) return [];
      const d = command.data;
      const where = s.taskIndex[d.taskId];
      if (where === undefined) return [];
      const plan = new Plan(s, ctx, now);
      const finished: RunEvent = {
        type: 'StageTaskFinished',
        data: { runId: s.runId, stageId: where.stageId, iteration: where.iteration, key: where.key, taskId: d.taskId, status: d.status, agentId: d.agentId, outputs: d.outputs, error: d.error, finishedAt: now },
      };
      if (where.stageId === FAILURE_STEPS_STAGE) {
        if (s.failure?.tasks[d.taskId] !== 'running') return [];
        plan.emit(finished);
        plan.settle();
        return plan.events;
      }
      if (where.key.startsWith('approval:')) return recordApproval(plan, finished, where.stageId, where.key, d);
      if (where.key.startsWith(CLEANUP_KEY_PREFIX)) return recordCleanup(plan, finished, where);
      const record = s.stages[where.stageId];
      if (record === undefined || record.status !== 'running' || record.iteration !== where.iteration || record.tasks[where.key]?.status !== 'running') return [];
      // The work was accepted and is being cleaned up: a late branch (`any_complete`) is ignored, as after StageCompleted.
      if (record.cleanup?.iteration === record.iteration) return [];
      plan.emit(finished);
      const after = plan.state.stages[where.stageId];
      const stage = plan.stage(where.stageId);
      const taskResults = Object.fromEntries(Object.entries(after?.tasks ?? {}).map(([k, t]) => [k, { status: t.status, outputs: t.outputs }]));
      // Orchestrator parts of a stage (no task) count as done.
      for (const t of stageTasks(stage)) if (!(t.id in taskResults)) taskResults[t.id] = { status: 'succeeded', outputs: {} };
      const sync = branchSyncState(stage, taskResults);
      if (sync === 'succeeded') plan.completeStage(where.stageId);
      else if (sync === 'failed') {
        const errors = Object.values(after?.tasks ?? {}).filter((t) => t.status === 'failed').map((t) => `${t.spec.key}: ${t.error ?? 'failed'}`);
        plan.failStage(where.stageId, where.iteration, errors.join('; '));
      }
      plan.settle();
      return plan.events;
    }
    case 'CancelRun': {
      const s = open(state, 'be cancelled');
      return [{ type: 'RunCancelled', data: { runId: s.runId, reason: command.data.reason, openTaskIds: openTaskIds(s), cancelledAt: now } }];
    }
    case 'PauseRun': {
      const s = open(state, 'be paused');
      if (s.status === 'paused') return [];
      return [{ type: 'RunPaused', data: { runId: s.runId, reason: command.data.reason, pausedAt: now } }];
    }
    case 'ResumeRun': {
      const s = open(state, 'be resumed');
      if (s.status !== 'paused') throw new IllegalTransitionError(`run ${s.runId} is not paused`, { runId: s.runId, status: s.status });
      const plan = new Plan(s, ctx, now);
      plan.emit({ type: 'RunResumed', data: { runId: s.runId, resumedAt: now } });
      plan.follow([...s.deferred]);
      plan.settle();
      return plan.events;
    }
    case 'BreachRunSla': {
      const s = existing(state);
      if (!isOpen(s) || s.slaBreached || ctx.def.slaMs === null) return [];
      return [{ type: 'RunSlaBreached', data: { runId: s.runId, workflowId: s.workflowId, slaMs: ctx.def.slaMs, startedAt: s.startedAt, breachedAt: now } }];
    }
    case 'BreachSla': {
      const s = existing(state);
      if (!isOpen(s)) return [];
      const record = s.stages[command.data.stageId];
      if (record === undefined || record.status !== 'running' || record.iteration !== command.data.iteration || record.slaBreached || record.slaMs === null) return [];
      return [
        {
          type: 'StageSlaBreached',
          data: { runId: s.runId, workflowId: s.workflowId, stageId: record.stageId, iteration: record.iteration, slaMs: record.slaMs, startedAt: record.startedAt ?? now, breachedAt: now },
        },
      ];
    }
    case 'ApproveStage':
    case 'RejectStage':
      return decideStageDecision(command, state, ctx);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

/** An approver agent's `approve_stage` task came back: record its decision; approve once all did, reject at the first rejection. */
function recordApproval(plan: Plan, finished: RunEvent, stageId: string, key: string, d: RecordTaskResultCommand['data']): RunEvent[] {
  const awaiting = plan.state.stages[stageId]?.awaiting;
  if (awaiting === null || awaiting === undefined || awaiting.tasks[key]?.status !== 'running') return [];
  plan.emit(finished);
  const by: Actor = { kind: 'agent', id: d.agentId ?? awaiting.tasks[key]?.approver ?? 'unknown' };
  if (d.status !== 'succeeded' || decisionOf(d.outputs) === 'rejected') {
    const reason = d.status === 'succeeded' ? reasonOf(d.outputs, 'rejected') : `approval task failed: ${d.error ?? 'failed'}`;
    plan.rejectWork(stageId, by, reason, findingsOf(d.outputs), [stageId]);
  } else {
    const after = plan.state.stages[stageId]?.awaiting;
    if (after !== null && after !== undefined && Object.values(after.tasks).every((t) => t.status === 'approved')) {
      plan.emit({ type: 'StageApproved', data: { runId: plan.runId, stageId, iteration: after.iteration, by, reason: reasonOf(d.outputs, 'approved'), approvedAt: plan.now } });
      plan.completeStage(stageId);
    }
  }
  plan.settle();
  return plan.events;
}

/** A cleanup task came back: recorded whatever its status (a failed cleanup never fails the stage); the stage completes once all did. */
function recordCleanup(plan: Plan, finished: RunEvent, where: { readonly stageId: string; readonly iteration: number; readonly key: string }): RunEvent[] {
  const record = plan.state.stages[where.stageId];
  const cleanup = record?.cleanup ?? null;
  if (record?.status !== 'running' || cleanup === null || cleanup.iteration !== where.iteration || cleanup.tasks[where.key]?.status !== 'running') return [];
  plan.emit(finished);
  const after = plan.state.stages[where.stageId]?.cleanup;
  if (after !== null && after !== undefined && Object.values(after.tasks).every((t) => t.status !== 'running')) plan.finishStage(where.stageId, after.outcome);
  plan.settle();
  return plan.events;
}

/** A person approves or rejects a stage that waits for a human (`requires_approval`, an escalation). */
function decideStageDecision(command: ApproveStageCommand | RejectStageCommand, state: RunState, ctx: RunDeciderContext): RunEvent[] {
  const s = open(state, 'take approvals');
  const { stageId, reason, by } = command.data;
  if (ctx.def.stages[stageId] === undefined) throw new NotFoundError('stage', stageId);
  const record = s.stages[stageId];
  const awaiting = record?.awaiting ?? null;
  if (record === undefined || awaiting === null) {
    throw new IllegalTransitionError(`stage ${stageId} of run ${s.runId} is not waiting for an approval (it is ${record?.status ?? 'pending'})`, { runId: s.runId, stageId });
  }
  if (awaiting.kind === 'agent') {
    throw new IllegalTransitionError(`stage ${stageId} of run ${s.runId} waits for its approver agents (${awaiting.approvers.join(', ')}); they decide through their approve_stage tasks`, {
      runId: s.runId,
      stageId,
      approvers: awaiting.approvers,
    });
  }
  if (s.startedBy !== null && s.startedBy.id === by.id && s.startedBy.kind === by.kind) {
    throw new BatonError('FORBIDDEN', `${by.id} started run ${s.runId} and cannot approve or reject its stages; ask another approver`, { runId: s.runId, stageId, actor: by });
  }
  const plan = new Plan(s, ctx, command.metadata.now);
  const iteration = awaiting.iteration;
  if (command.type === 'ApproveStage') {
    plan.emit({ type: 'StageApproved', data: { runId: s.runId, stageId, iteration, by, reason, approvedAt: plan.now } });
    if (awaiting.onApprove === 'start') plan.startStage(stageId);
    else if (awaiting.onApprove === 'outcome_approved') plan.completeStage(stageId, { exception: true, outcome: 'approved' });
    else plan.completeStage(stageId, { exception: true });
  } else {
    plan.emit({ type: 'StageRejected', data: { runId: s.runId, stageId, iteration, by, reason, findings: [], rejections: record.rejections + 1, rejectedAt: plan.now } });
    plan.failStage(stageId, iteration, `rejected by ${by.id}: ${reason}`);
  }
  plan.settle();
  return plan.events;
}
