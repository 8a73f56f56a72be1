import { canonicalJson, shortDigest, type ConflictResolutionKind, type TaskStatus } from '@baton/contracts';
import type { ConflictFinding } from './conflict.commands';
import { overlappingFiles, type FileOverlap } from './paths';

/**
 * The conflict rules, in one place: what a task declares (`inputs.files`, `inputs.dependsOn`,
 * `inputs.workItemId` / `inputs.work_item_id`), which conflicts a candidate assignment has
 * (the dispatcher holds a task that has any), the deterministic conflict ids, and how a held
 * task's conflict settles once the task moves on. Pure.
 */

/** The `inputs` keys conflict checks look at; tasks without any of them are never checked. */
export const CONSTRAINT_KEYS = ['files', 'dependsOn', 'workItemId', 'work_item_id'] as const;

/** What a task declares for conflict checks. */
export interface TaskConstraints {
  /** Paths or globs the task will modify. */
  readonly files: readonly string[];
  /** Task ids that must complete before this task may be assigned. */
  readonly dependsOn: readonly string[];
  /** The work item the task is for (tasks of one work item run one at a time). */
  readonly workItemId: string | null;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_FILES = 1000;
const MAX_DEPENDENCIES = 500;

function workItemOf(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * Reads the constraints of a stored task, leniently (a malformed entry is ignored, so a task
 * created by other means never stops the dispatcher). Null when the task declares none.
 */
export function readConstraints(inputs: Readonly<Record<string, unknown>>): TaskConstraints | null {
  const files = Array.isArray(inputs['files']) ? inputs['files'].filter((f): f is string => typeof f === 'string' && f.trim() !== '') : [];
  const dependsOn = Array.isArray(inputs['dependsOn']) ? [...new Set(inputs['dependsOn'].filter((d): d is string => typeof d === 'string' && d !== ''))] : [];
  const workItemId = workItemOf(inputs['workItemId']) ?? workItemOf(inputs['work_item_id']);
  if (files.length === 0 && dependsOn.length === 0 && workItemId === null) return null;
  return { files, dependsOn, workItemId };
}

export interface ConstraintIssue {
  readonly path: string;
  readonly message: string;
}

/** The issues of an optional list in `inputs`: not an array, too long, and what `entryIssue` finds wrong with an entry. */
function listIssues(key: string, value: unknown, list: { readonly of: string; readonly max: number; readonly entryIssue: (entry: unknown) => string | null }): ConstraintIssue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [{ path: `inputs.${key}`, message: `must be an array of ${list.of}` }];
  const issues: ConstraintIssue[] = [];
  if (value.length > list.max) issues.push({ path: `inputs.${key}`, message: `at most ${list.max} entries` });
  value.forEach((entry, i) => {
    const message = list.entryIssue(entry);
    if (message !== null) issues.push({ path: `inputs.${key}.${i}`, message });
  });
  return issues;
}

/** Checks a submitted task's constraints strictly; the issues, empty when they are fine. */
export function constraintIssues(taskId: string, inputs: Readonly<Record<string, unknown>>): ConstraintIssue[] {
  const issues: ConstraintIssue[] = [
    ...listIssues('files', inputs['files'], {
      of: 'paths or globs',
      max: MAX_FILES,
      entryIssue: (f) => (typeof f !== 'string' || f.trim() === '' || f.length > 1000 ? 'must be a non-empty path or glob (at most 1000 characters)' : null),
    }),
    ...listIssues('dependsOn', inputs['dependsOn'], {
      of: 'task ids',
      max: MAX_DEPENDENCIES,
      entryIssue: (d) => {
        if (typeof d !== 'string' || !TASK_ID.test(d)) return 'must be a task id (letters, digits, dot, dash or underscore; 1-128 chars)';
        return d === taskId ? `task ${taskId} cannot depend on itself` : null;
      },
    }),
  ];
  const camel = inputs['workItemId'];
  const snake = inputs['work_item_id'];
  for (const [key, value] of [
    ['workItemId', camel],
    ['work_item_id', snake],
  ] as const) {
    if (value !== undefined && (workItemOf(value) === null || String(value).length > 200)) {
      issues.push({ path: `inputs.${key}`, message: 'must be a non-empty string (at most 200 characters) or a number' });
    }
  }
  if (camel !== undefined && snake !== undefined && workItemOf(camel) !== null && workItemOf(camel) !== workItemOf(snake)) {
    issues.push({ path: 'inputs.work_item_id', message: `differs from inputs.workItemId (${String(camel)}); give one of them` });
  }
  return issues;
}

/** Deterministic conflict ids: the same conflict seen twice (another pass, a replay, a restart) is recorded once. */
export const conflictIds = {
  /** A held task waiting for its dependencies, in the waiting episode that started at lease epoch `epoch`. */
  dependency: (taskId: string, epoch: number): string => `dep.${taskId}.${epoch}`,
  /** A later task of a work item held while an earlier one is live. */
  workItem: (taskId: string, epoch: number): string => `wi.${taskId}.${epoch}`,
  /** A task held because its files overlap those of an in-flight task. */
  files: (taskId: string, epoch: number): string => `files.${taskId}.${epoch}`,
  /** A task released from an agent that went offline, at lease epoch `epoch`. */
  idle: (taskId: string, epoch: number): string => `idle.${taskId}.${epoch}`,
  /** A task id submitted again with other content (`digest` of that content). */
  duplicate: (taskId: string, digest: string): string => `dup.${taskId}.${digest}`,
} as const;

/** The content of a submission that decides whether a resubmit of the same task id is the same task. */
export interface SubmissionContent {
  readonly action: string;
  readonly requirement: { readonly agentId?: string | undefined; readonly role?: string | undefined; readonly capabilities: readonly string[] };
  readonly inputs: Readonly<Record<string, unknown>>;
}

function contentKey(c: SubmissionContent): string {
  const requirement = { agentId: c.requirement.agentId, role: c.requirement.role, capabilities: [...new Set(c.requirement.capabilities)].sort() };
  return canonicalJson({ action: c.action, requirement, inputs: c.inputs });
}

/** Same action, requirement (capabilities as a set) and inputs (key order aside)? */
export function sameSubmission(a: SubmissionContent, b: SubmissionContent): boolean {
  return contentKey(a) === contentKey(b);
}

/** The digest of a submission's content, for the `duplicate_task` conflict id. */
export function submissionDigest(c: SubmissionContent): string {
  return shortDigest(contentKey(c), 16);
}

/** What the dispatcher knows about a waiting task that declares constraints. */
export interface HoldCandidate {
  readonly taskId: string;
  readonly runId: string | null;
  readonly createdAt: string;
  /** The task's lease epoch now: its waiting episode (0 before its first assignment). */
  readonly leaseEpoch: number;
  readonly constraints: TaskConstraints;
}

/** A live (not ended) task of a work item. */
export interface WorkItemTask {
  readonly taskId: string;
  readonly workItemId: string;
  readonly createdAt: string;
  readonly status: TaskStatus;
}

/** A task an agent holds (or the dispatcher just assigned) that declares files. */
export interface InFlightFiles {
  readonly taskId: string;
  readonly agentId: string | null;
  readonly files: readonly string[];
}

/** What the holds are checked against (from the tasks read model and the dispatcher's memory). */
export interface HoldContext {
  /** Status of each dependency the read model knows; a dependency missing here is unknown. */
  readonly dependencies: ReadonlyMap<string, TaskStatus>;
  readonly workItemTasks: readonly WorkItemTask[];
  readonly inFlightFiles: readonly InFlightFiles[];
}

const ENDED: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];
const isEnded = (s: TaskStatus): boolean => ENDED.includes(s);

function isEarlier(a: { createdAt: string; taskId: string }, b: { createdAt: string; taskId: string }): boolean {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  return ta !== tb ? ta < tb : a.taskId < b.taskId;
}

/** The conflict id of each kind of hold. */
const HOLD_IDS = { dependency_clash: conflictIds.dependency, duplicate_task: conflictIds.workItem, file_overlap: conflictIds.files } as const;

/**
 * Candidate `c` held behind the tasks `behind`: the conflict's id names the task's waiting
 * episode, the held task comes first among its tasks, and its details open with the episode's
 * lease epoch. It names no agent and queues the task unless the hold says otherwise.
 */
function holdOf(
  c: HoldCandidate,
  kind: keyof typeof HOLD_IDS,
  behind: readonly string[],
  hold: Pick<ConflictFinding, 'description' | 'details'> & Partial<Pick<ConflictFinding, 'agentId' | 'autoResolution'>>,
): ConflictFinding {
  return {
    conflictId: HOLD_IDS[kind](c.taskId, c.leaseEpoch),
    kind,
    taskIds: [c.taskId, ...behind],
    agentId: hold.agentId ?? null,
    runId: c.runId,
    description: hold.description,
    details: { leaseEpoch: c.leaseEpoch, ...hold.details },
    autoResolution: hold.autoResolution === undefined ? 'queue' : hold.autoResolution,
  };
}

function dependencyHold(c: HoldCandidate, ctx: HoldContext): ConflictFinding | null {
  const statuses = c.constraints.dependsOn.map((id) => ({ taskId: id, status: ctx.dependencies.get(id) ?? null }));
  const open = statuses.filter((s) => s.status !== 'completed');
  if (open.length === 0) return null;
  const dead = open.filter((s) => s.status === 'failed' || s.status === 'cancelled');
  const list = open.map((s) => `${s.taskId} (${s.status ?? 'unknown task'})`).join(', ');
  const description =
    dead.length > 0
      ? `task ${c.taskId} depends on ${dead.map((d) => `${d.taskId} (${d.status})`).join(', ')}, which will not complete; it stays held until someone decides (waiting on ${list})`
      : `task ${c.taskId} is held until its dependencies complete: ${list}`;
  const waitingOn = open.map((s) => s.taskId);
  return holdOf(c, 'dependency_clash', waitingOn, {
    description,
    details: {
      dependsOn: [...c.constraints.dependsOn],
      waitingOn,
      statuses: Object.fromEntries(statuses.map((s) => [s.taskId, s.status ?? 'unknown'])),
    },
    autoResolution: dead.length > 0 ? null : 'queue',
  });
}

function workItemHold(c: HoldCandidate, ctx: HoldContext): ConflictFinding | null {
  const wi = c.constraints.workItemId;
  if (wi === null) return null;
  const earlier = ctx.workItemTasks.filter((t) => t.workItemId === wi && t.taskId !== c.taskId && !isEnded(t.status) && isEarlier(t, c));
  if (earlier.length === 0) return null;
  return holdOf(c, 'duplicate_task', earlier.map((t) => t.taskId), {
    description: `work item ${wi} was submitted twice: task ${c.taskId} is held while ${earlier.map((t) => `${t.taskId} (${t.status})`).join(', ')} handles it`,
    details: { workItemId: wi, earlier: earlier.map((t) => ({ taskId: t.taskId, status: t.status })) },
  });
}

function filesHold(c: HoldCandidate, ctx: HoldContext): ConflictFinding | null {
  if (c.constraints.files.length === 0) return null;
  const hits: { taskId: string; agentId: string | null; files: FileOverlap[] }[] = [];
  for (const other of ctx.inFlightFiles) {
    if (other.taskId === c.taskId) continue;
    const files = overlappingFiles(c.constraints.files, other.files);
    if (files.length > 0) hits.push({ taskId: other.taskId, agentId: other.agentId, files });
  }
  if (hits.length === 0) return null;
  const named = hits
    .map((h) => `${h.taskId}${h.agentId ? ` (held by ${h.agentId})` : ''}: ${h.files.map((f) => (f.mine === f.theirs ? f.mine : `${f.mine} ~ ${f.theirs}`)).join(', ')}`)
    .join('; ');
  return holdOf(c, 'file_overlap', hits.map((h) => h.taskId), {
    agentId: hits[0]?.agentId ?? null,
    description: `task ${c.taskId} modifies files that in-flight tasks modify, so it is held until they end: ${named}`,
    details: { files: [...c.constraints.files], overlaps: hits.map((h) => ({ taskId: h.taskId, agentId: h.agentId, files: h.files })) },
  });
}

/**
 * The conflicts a candidate assignment has: dependencies not all completed, an earlier live
 * task of the same work item, files overlapping an in-flight task's. Any of them holds the task.
 */
export function holdsOf(candidate: HoldCandidate, ctx: HoldContext): ConflictFinding[] {
  return [dependencyHold(candidate, ctx), workItemHold(candidate, ctx), filesHold(candidate, ctx)].filter((f): f is ConflictFinding => f !== null);
}

/**
 * Within one dispatch pass: do these files overlap those of a task assigned earlier in the same
 * pass (which the read model does not show in flight yet)?
 */
export function overlapsAny(files: readonly string[], taken: readonly (readonly string[])[]): boolean {
  return files.length > 0 && taken.some((t) => overlappingFiles(files, t).length > 0);
}

/** A conflict that holds a task (or, for an idle time-out, waits for its reassignment), as the settle rule sees it. */
export interface HeldConflict {
  readonly conflictId: string;
  readonly kind: ConflictFinding['kind'];
  readonly taskId: string;
  /** The task's lease epoch when the conflict was detected (for an idle time-out: the lease that was released). */
  readonly leaseEpoch: number;
  /** For an idle time-out: the agent that went offline. */
  readonly agentId: string | null;
}

/** Where the held task stands now. */
export interface TaskSnapshot {
  readonly status: TaskStatus;
  readonly leaseEpoch: number;
  readonly agentId: string | null;
  readonly previousAgentId: string | null;
}

export interface Settlement {
  readonly resolution: ConflictResolutionKind;
  readonly reassignTo: string | null;
  readonly reason: string;
}

/**
 * How a held task's conflict resolves on its own once the task has moved on: assigned in a
 * later lease (reassigned, for an idle time-out; the hold is over, for the others) or ended.
 * Null while the task still waits in the same episode.
 */
export function settle(conflict: HeldConflict, task: TaskSnapshot): Settlement | null {
  const t = conflict.taskId;
  if (isEnded(task.status)) return { resolution: 'queue', reassignTo: null, reason: `task ${t} ${task.status === 'cancelled' ? 'was cancelled' : task.status}; nothing is held any more` };
  if (task.leaseEpoch <= conflict.leaseEpoch) return null;
  const holder = task.agentId ?? task.previousAgentId;
  if (conflict.kind === 'agent_idle_timeout') {
    if (holder !== null && holder !== conflict.agentId) return { resolution: 'reassign', reassignTo: holder, reason: `task ${t} was reassigned to ${holder} after agent ${conflict.agentId ?? 'unknown'} went offline` };
    return { resolution: 'queue', reassignTo: null, reason: `agent ${conflict.agentId ?? 'unknown'} came back and got task ${t} again` };
  }
  return { resolution: 'queue', reassignTo: null, reason: `task ${t} was held until nothing blocked it, then assigned${holder ? ` to ${holder}` : ''}` };
}

/**
 * The held task of a detected conflict, for the settle rule: conflicts that hold a task (or wait
 * for its reassignment) carry the task's lease epoch in `details.leaseEpoch`; a duplicate
 * submission of an existing task id holds nothing (null: it waits for a decision).
 */
export function heldConflictOf(d: {
  readonly conflictId: string;
  readonly kind: ConflictFinding['kind'];
  readonly taskIds: readonly string[];
  readonly agentId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}): HeldConflict | null {
  const epoch = d.details['leaseEpoch'];
  const taskId = d.taskIds[0];
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || taskId === undefined) return null;
  return { conflictId: d.conflictId, kind: d.kind, taskId, leaseEpoch: epoch, agentId: d.kind === 'agent_idle_timeout' ? d.agentId : null };
}

/** The dependencies a dependency clash waits on (`details.waitingOn`). */
export function waitingOnOf(details: Readonly<Record<string, unknown>>): string[] {
  const w = details['waitingOn'];
  return Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : [];
}

/** A task released because its agent went offline: reassign it (the dispatcher does so on its own). */
export function idleTimeoutFinding(
  task: { readonly taskId: string; readonly runId: string | null },
  release: { readonly agentId: string; readonly leaseEpoch: number; readonly releasedAt: string },
): ConflictFinding {
  return {
    conflictId: conflictIds.idle(task.taskId, release.leaseEpoch),
    kind: 'agent_idle_timeout',
    taskIds: [task.taskId],
    agentId: release.agentId,
    runId: task.runId,
    description: `agent ${release.agentId} stopped answering while it held task ${task.taskId} (lease ${release.leaseEpoch}); the task was released to be reassigned to another agent`,
    details: { leaseEpoch: release.leaseEpoch, releasedAt: release.releasedAt, reason: 'agent_offline' },
    autoResolution: 'reassign',
  };
}

/** Why a held task's dependency conflict now needs a decision. */
export function deadDependencyReason(heldTaskId: string, dependencyId: string, status: 'failed' | 'cancelled'): string {
  return `dependency ${dependencyId} ${status === 'failed' ? 'failed' : 'was cancelled'}, so task ${heldTaskId} cannot start on its own: reassign it, queue it (keep holding) or escalate`;
}

/**
 * A task id submitted again with other content: the submission is refused (CONFLICT) and this
 * conflict records it for a human (no auto-resolution). Which of action, requirement and inputs
 * differ, and which input keys.
 */
export function duplicateSubmissionFinding(
  existing: SubmissionContent & { readonly taskId: string; readonly runId: string | null; readonly agentId: string | null },
  submitted: SubmissionContent & { readonly runId: string | null },
  submittedBy: { readonly kind: string; readonly id: string } | null,
): ConflictFinding {
  const requirementKey = (c: SubmissionContent) => canonicalJson({ ...c.requirement, capabilities: [...new Set(c.requirement.capabilities)].sort() });
  const differs = [
    ...(existing.action !== submitted.action ? ['action'] : []),
    ...(requirementKey(existing) !== requirementKey(submitted) ? ['requirement'] : []),
    ...(canonicalJson(existing.inputs) !== canonicalJson(submitted.inputs) ? ['inputs'] : []),
  ];
  const keys = [...new Set([...Object.keys(existing.inputs), ...Object.keys(submitted.inputs)])].sort();
  const inputKeys = keys.filter((k) => canonicalJson(existing.inputs[k]) !== canonicalJson(submitted.inputs[k]));
  const what = differs.map((d) => (d === 'inputs' && inputKeys.length > 0 ? `inputs (${inputKeys.join(', ')})` : d)).join(', ');
  return {
    conflictId: conflictIds.duplicate(existing.taskId, submissionDigest(submitted)),
    kind: 'duplicate_task',
    taskIds: [existing.taskId],
    agentId: existing.agentId,
    runId: existing.runId ?? submitted.runId,
    description: `task ${existing.taskId} was submitted again with other content (${what}); the submission was refused and the task keeps what it was created with`,
    details: {
      differs,
      inputKeys,
      existing: { action: existing.action, requirement: existing.requirement },
      submitted: { action: submitted.action, requirement: submitted.requirement },
      submittedBy,
    },
    autoResolution: null,
  };
}
