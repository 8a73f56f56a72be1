import { upstreamArtifacts, type UpstreamArtifact as SdkUpstreamArtifact } from '@baton/agent-sdk';
import { matchesRequirement, TaskChecks, type AgentInboxAssignment, type HandoffView, type ListHandoffSpecsReply, type RequirementProfile, type RuleFailure, type TaskView } from '@baton/contracts';
import type { z } from 'zod';

/**
 * What a coding agent needs to do a task without asking anyone: assembled, purely, from the
 * task's inputs (the run puts its goal, parameters, upstream outputs, checks and any review
 * feedback there), the handoff specs the validator loaded, and the verdicts of earlier
 * handoffs of the same task (rework feedback).
 */

export type HandoffSpecSummary = z.infer<typeof ListHandoffSpecsReply>['specs'][number];

/** An artifact a stage upstream handed over, by hash; read its content with the `baton://artifacts/{hash}` resource. */
export interface UpstreamArtifact extends SdkUpstreamArtifact {
  readonly uri: string;
}

/** Rework feedback: why the last handoff was refused, or what a review upstream sent back. */
export interface ReworkFeedback {
  /** `handoff`: this task's own handoff was rejected; `review`: a later stage's review sent the work back. */
  readonly source: 'handoff' | 'review';
  readonly handoffId: string | null;
  readonly round: number;
  readonly failures: readonly RuleFailure[];
  readonly note: string | null;
}

/** The checks a handoff of this task must pass (the validator runs exactly these on submit_handoff). */
export interface HandoffChecks {
  readonly mode: 'handoff' | 'review';
  readonly specs: readonly HandoffSpecSummary[];
  /** Spec ids the task names that the validator does not know (the submit would be refused). */
  readonly unknownSpecIds: readonly string[];
  readonly declaredOutputs: readonly string[] | null;
  readonly qualityGate: readonly string[];
  readonly criteria: readonly string[];
}

export interface TaskContext {
  readonly taskId: string;
  readonly runId: string | null;
  readonly stageId: string | null;
  /** The action asked for (`implement_feature`, `write_prd` …). */
  readonly action: string;
  /** One line for the agent: the action and, when the inputs say, the goal. */
  readonly goal: string;
  readonly priority: string;
  readonly attempt: number;
  readonly leaseEpoch: number;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly files: readonly string[];
  readonly upstreamArtifacts: readonly UpstreamArtifact[];
  readonly rework: ReworkFeedback | null;
  /** Null when nothing is checked on completion (any outputs complete the task). */
  readonly checks: HandoffChecks | null;
}

/** The `baton://artifacts/{hash}` resource of an artifact. */
export function artifactUri(hash: string): string {
  return `baton://artifacts/${hash}`;
}

const GOAL_KEYS = ['goal', 'title', 'description', 'summary', 'objective'] as const;

function goalOf(action: string, inputs: Readonly<Record<string, unknown>>): string {
  for (const k of GOAL_KEYS) {
    const v = inputs[k];
    if (typeof v === 'string' && v.trim() !== '') return `${action}: ${v.trim()}`;
  }
  return action;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The artifacts upstream stages handed over (see `upstreamArtifacts`), each with its resource. */
export function upstreamArtifactsOf(inputs: Readonly<Record<string, unknown>>): UpstreamArtifact[] {
  return upstreamArtifacts(inputs).map((a) => ({ ...a, uri: artifactUri(a.hash) }));
}

/**
 * The specs a handoff of `agentId` is checked against: those `checks.specIds` names, else those
 * whose `from` names the agent and whose `to` names one of `checks.toAgentIds` (any, when none is
 * given): the validator's own choice (HandoffCatalog.matching).
 */
export function checksOf(inputs: Readonly<Record<string, unknown>>, agentId: string, specs: readonly HandoffSpecSummary[]): HandoffChecks | null {
  if (inputs['checks'] == null) return null;
  const parsed = TaskChecks.safeParse(inputs['checks']);
  if (!parsed.success) return null;
  const c = parsed.data;
  const named = c.specIds.length > 0;
  const chosen = named
    ? specs.filter((s) => c.specIds.includes(s.id))
    : specs.filter((s) => s.from.includes(agentId) && (c.toAgentIds.length === 0 || s.to.some((t) => c.toAgentIds.includes(t))));
  return {
    mode: c.mode,
    specs: chosen,
    unknownSpecIds: named ? c.specIds.filter((id) => !specs.some((s) => s.id === id)) : [],
    declaredOutputs: c.declaredOutputs,
    qualityGate: c.qualityGate,
    criteria: c.criteria,
  };
}

/**
 * The latest feedback to act on: the newest rejected handoff of this very task (after its last
 * accepted one, if any), else the review feedback the run put in `inputs.feedback`.
 */
export function reworkOf(inputs: Readonly<Record<string, unknown>>, handoffs: readonly HandoffView[]): ReworkFeedback | null {
  const ordered = [...handoffs].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  const lastAccepted = ordered.map((h) => h.status).lastIndexOf('accepted');
  const rejected = ordered.slice(lastAccepted + 1).filter((h) => h.status === 'rejected');
  const last = rejected[rejected.length - 1];
  if (last !== undefined) return { source: 'handoff', handoffId: last.handoffId, round: rejected.length, failures: last.failures, note: null };
  const feedback = inputs['feedback'];
  if (feedback == null) return null;
  if (typeof feedback === 'string') return { source: 'review', handoffId: null, round: 1, failures: [], note: feedback };
  if (!isRecord(feedback)) return null;
  const failures = Array.isArray(feedback['findings']) ? (feedback['findings'].filter(isRecord) as unknown as RuleFailure[]) : [];
  const note = typeof feedback['reason'] === 'string' ? feedback['reason'] : JSON.stringify(feedback);
  const round = typeof feedback['round'] === 'number' ? feedback['round'] : 1;
  return { source: 'review', handoffId: null, round, failures, note };
}

/** The task as an agent holding it sees it: from its assignment (or read-model view) and what Baton knows about its checks. */
export function taskContextOf(
  task: Pick<AgentInboxAssignment, 'taskId' | 'runId' | 'stageId' | 'action' | 'inputs' | 'priority' | 'attempt' | 'leaseEpoch'>,
  agentId: string,
  specs: readonly HandoffSpecSummary[],
  handoffs: readonly HandoffView[],
): TaskContext {
  const files = Array.isArray(task.inputs['files']) ? task.inputs['files'].filter((f): f is string => typeof f === 'string') : [];
  return {
    taskId: task.taskId,
    runId: task.runId,
    stageId: task.stageId,
    action: task.action,
    goal: goalOf(task.action, task.inputs),
    priority: task.priority,
    attempt: task.attempt,
    leaseEpoch: task.leaseEpoch,
    inputs: task.inputs,
    files,
    upstreamArtifacts: upstreamArtifactsOf(task.inputs),
    rework: reworkOf(task.inputs, handoffs),
    checks: checksOf(task.inputs, agentId, specs),
  };
}

/** Waiting tasks this agent may claim now, queue order kept (P0 first as the scheduler orders them; retries not before their time). */
export function claimableOf(tasks: readonly TaskView[], agent: RequirementProfile, now: Date): TaskView[] {
  const rank = { P0: 0, P1: 1, P2: 2 } as const;
  return tasks
    .filter((t) => t.status === 'queued' && matchesRequirement(agent, t.requirement) && (t.notBefore === null || Date.parse(t.notBefore) <= now.getTime()))
    .sort((a, b) => rank[a.priority] - rank[b.priority] || a.createdAt.localeCompare(b.createdAt));
}
