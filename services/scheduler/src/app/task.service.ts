import type { Clock, CommandContext, CommandResult } from '@baton/aggregate';
import {
  BatonError,
  ConflictError,
  TaskChecks,
  type ArtifactRef,
  type HandoffVerdict,
  SUBMITTED_TASK_MAX_ATTEMPTS,
  NotFoundError,
  RetryBackoff,
  errorCodeOf,
  matchesRequirement,
  shortDigest,
  type AgentInboxAssignment,
  type CommandEnvelope,
  type CompleteTask,
  type DataOf,
  type SubmitTaskData,
  type TaskCommandReply,
  type TaskView,
  ValidationError,
  type Position,
  type TaskRequirement,
} from '@baton/contracts';
import type { Kysely } from 'kysely';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { agentCandidates, findTask, listTasks, queueHead, toTaskView } from '../read-model/task.queries';
import { TaskAlreadyExistsError, type QueueEntry, type TaskCommand, type CommandMetadata, type Task, type TaskEvent, type TaskState } from '../domain';
import { constraintIssues, sameSubmission } from '../domain/conflict';
import type { ConflictService } from './conflict.service';
import type { HandoffValidatorPort } from './ports';
import type { TaskRunner } from './runners';
import type { TaskReassigner } from './task-reassigner';
import { createTask, type AssignAtCreate } from './create-task';

/** The dispatcher's conflict check, as a claim uses it. */
export interface ClaimHolds {
  admit<T extends { readonly taskId: string }>(queue: readonly T[], justAssigned: readonly string[]): Promise<{ readonly queue: T[] }>;
}

/** What the task service may work with besides the store, the read model and the clock. */
export interface TaskServiceOptions {
  readonly defaults?: TaskDefaults;
  /** The handoff-validator, for completions with checks or artifacts. */
  readonly validator?: HandoffValidatorPort;
  /** Records a conflicting resubmission (duplicate_task). */
  readonly conflicts?: Pick<ConflictService, 'recordDuplicateSubmission'>;
  /** So a claim cannot take a task a conflict holds back. */
  readonly holds?: ClaimHolds;
  /** For reassign-task. */
  readonly reassigner?: Pick<TaskReassigner, 'check' | 'reassign' | 'done'>;
  /** The dispatcher, so a submitted task an agent can take now is created assigned to it. */
  readonly assign?: AssignAtCreate;
}

/** A task just created, as the queue sees it, and where its TaskCreated is committed. */
export interface SubmittedTask extends QueueEntry {
  readonly requirement: TaskRequirement;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly position: Position;
}

/**
 * What a committed task append tells the dispatcher before the tasks read model shows it: a
 * task was created (submitted, or a run's stage started it), or the agent's hold on it ended
 * (TaskCompleted or TaskFailed).
 */
export function taskSignalsOf(r: CommandResult<TaskState, TaskEvent>): { submitted?: SubmittedTask; finished?: FinishedTask } {
  const t = r.state;
  if (r.position === undefined || !t.exists) return {};
  const out: { submitted?: SubmittedTask; finished?: FinishedTask } = {};
  // A task created assigned (planned at once, see createTask) is no pass's to plan.
  if (t.status === 'queued' && r.appended.some((e) => e.type === 'TaskCreated')) {
    out.submitted = {
      taskId: t.taskId,
      priority: t.priority,
      createdAt: t.createdAt,
      requeued: t.requeued,
      notBefore: t.notBefore,
      requirement: t.requirement,
      inputs: t.inputs,
      position: r.position,
    };
  }
  if (r.appended.some((e) => e.type === 'TaskCompleted' || e.type === 'TaskFailed')) out.finished = { taskId: t.taskId, position: r.position };
  return out;
}

/** A task its agent no longer holds: the event that says so is committed at `position`. */
export interface FinishedTask {
  readonly taskId: string;
  readonly position: Position;
}

/** Defaults for submitted tasks that do not say. */
export interface TaskDefaults {
  readonly maxAttempts: number;
  readonly retry: RetryBackoff;
}

export const DEFAULT_TASK_DEFAULTS: TaskDefaults = {
  maxAttempts: SUBMITTED_TASK_MAX_ATTEMPTS,
  retry: RetryBackoff.parse({}),
};

/** A task id derived from the command id, so a retried submit without a task id creates one task. */
export function taskIdForCommand(commandId: string): string {
  return `task-${shortDigest(commandId, 32)}`;
}

function replyOf(taskId: string, r: Pick<CommandResult<TaskState, TaskEvent>, 'state' | 'revision'>): TaskCommandReply {
  const s = r.state;
  return { taskId, status: s.exists ? s.status : 'unknown', leaseEpoch: s.exists ? s.leaseEpoch : 0, revision: Math.max(0, r.revision) };
}

/** The inbox message of a task's current assignment (state just after its TaskAssigned). */
export function assignmentOf(state: TaskState, taskId: string): AgentInboxAssignment {
  if (!state.exists || state.assignedAt === null) throw new BatonError('INTERNAL', `task ${taskId} has no assignment`);
  return {
    kind: 'task.assigned',
    taskId: state.taskId,
    runId: state.runId,
    stageId: state.stageId,
    action: state.action,
    inputs: { ...state.inputs },
    priority: state.priority,
    leaseEpoch: state.leaseEpoch,
    attempt: state.attempt,
    assignedAt: state.assignedAt,
  };
}

/** The handoff checks a task was submitted with (`inputs.checks`), or null. */
function checksOf(task: Task): TaskChecks | null {
  if (task.inputs['checks'] == null) return null;
  const parsed = TaskChecks.safeParse(task.inputs['checks']);
  return parsed.success ? parsed.data : null;
}

/** Thrown (and caught) by `complete` when the task's checks must be validated before it completes. */
const NEEDS_VALIDATION: unique symbol = Symbol('needs handoff validation');

type AgentReportCommand = Exclude<TaskCommand, { type: 'CreateTask' | 'AssignTask' | 'ClaimTask' | 'ReleaseTask' | 'CancelTask' }>;

/**
 * The task engine's use cases behind the NATS controller: submit, agent reports, claims,
 * cancel, and the read-model queries. Every command goes through {@link TaskRunner}
 * (load, decide, append at the expected revision, idempotent by command id).
 */
export class TaskService {
  private readonly defaults: TaskDefaults;
  private readonly validator: HandoffValidatorPort | null;
  private readonly conflicts: Pick<ConflictService, 'recordDuplicateSubmission'> | null;
  private readonly holds: ClaimHolds | null;
  private readonly reassigner: Pick<TaskReassigner, 'check' | 'reassign' | 'done'> | null;
  private readonly assign: AssignAtCreate | null;

  constructor(
    private readonly handler: TaskRunner,
    private readonly db: Kysely<SchedulerDatabase>,
    private readonly clock: Clock,
    options: TaskServiceOptions = {},
  ) {
    this.defaults = options.defaults ?? DEFAULT_TASK_DEFAULTS;
    this.validator = options.validator ?? null;
    this.conflicts = options.conflicts ?? null;
    this.holds = options.holds ?? null;
    this.reassigner = options.reassigner ?? null;
    this.assign = options.assign ?? null;
  }


  /**
   * reassign-task: a person hands a task to another agent (an escalation resolved as
   * `reassigned`): released from its holder, assigned to `toAgentId` (see TaskReassigner).
   */
  async reassign(cmd: CommandEnvelope<{ taskId: string; toAgentId: string; reason: string }>, ctx: CommandContext): Promise<TaskCommandReply> {
    if (this.reassigner === null) throw new BatonError('UNAVAILABLE', 'this scheduler cannot reassign tasks (no reassigner configured)');
    const { taskId, toAgentId } = cmd.data;
    if (!(await this.reassigner.done(taskId, ctx))) await this.reassigner.check(taskId, toAgentId);
    await this.reassigner.reassign(taskId, toAgentId, ctx);
    const loaded = await this.handler.load(taskId);
    return replyOf(taskId, loaded);
  }

  /**
   * CompleteTask. A task with checks (`inputs.checks`: handoff specs, quality gates, criteria),
   * or a completion that hands over artifacts, goes through the handoff-validator first:
   * - accepted: TaskCompleted, its outputs naming the artifacts by hash (`artifacts`) and the
   *   handoff (`handoff`);
   * - rejected, `handoff` mode: TaskHandoffRejected; the task stays with the agent, and the reply
   *   carries every failing rule so it can fix them and complete again (rework);
   * - rejected, `review` mode (a blocking stage's criteria): TaskCompleted with
   *   `verdict: 'rejected'` and the failures as findings; the run sends the work back upstream.
   * The lease is checked before the validator is called, and nothing is appended when the
   * validator does not answer (UNAVAILABLE/TIMEOUT: retry the completion).
   */
  async complete(
    cmd: CommandEnvelope<{ taskId: string; agentId: string; leaseEpoch: number; outputs: Record<string, unknown>; artifacts?: DataOf<typeof CompleteTask>['artifacts']; context?: Record<string, unknown> }>,
    ctx: CommandContext,
  ): Promise<TaskCommandReply & { handoff?: HandoffVerdict }> {
    const d = cmd.data;
    const plain = (outputs: Record<string, unknown>, options?: Parameters<TaskRunner['execute']>[3]) =>
      this.handler.execute(d.taskId, (metadata) => ({ type: 'CompleteTask', data: { taskId: d.taskId, agentId: d.agentId, leaseEpoch: d.leaseEpoch, outputs }, metadata }), ctx, options);
    const withContext = d.context === undefined || Object.keys(d.context).length === 0 ? d.outputs : { ...d.outputs, context: d.context };
    const artifacts = d.artifacts ?? [];
    // The common case in one step, from the kept state and without a read first: a task's inputs
    // (and so its checks) never change after it is created, so a kept state tells whether it has
    // any. A completion to validate (checks, or artifacts handed over) leaves with the state it
    // was decided on, so the validator is called without a second read of the stream: the
    // completion's append after the verdict is at the revision it decides on, so a state that
    // was stale only costs that validation.
    let toValidate: Task | undefined;
    try {
      return replyOf(
        d.taskId,
        await plain(withContext, {
          // After the decision (a refusal, such as a stale lease, is answered as for any
          // completion), before the append: not a refusal, so the runner reads nothing more.
          beforeAppend: async (state) => {
            if (state.exists && state.status !== 'completed' && (artifacts.length > 0 || checksOf(state) !== null)) {
              toValidate = state;
              throw NEEDS_VALIDATION;
            }
          },
        }),
      );
    } catch (err) {
      if (err !== NEEDS_VALIDATION) throw err;
    }
    // A task that exists, is not completed, and has checks or artifacts to hand over; its lease
    // and status were checked by the decision above, so a stale or finished agent learned it
    // without a validation round.
    const state: Task = toValidate!;
    const checks = checksOf(state);
    if (this.validator === null) {
      throw new BatonError('UNAVAILABLE', `task ${d.taskId} has handoff checks, but this scheduler has no handoff-validator connection`, { taskId: d.taskId });
    }
    const iteration = state.inputs['iteration'];
    const verdict = await this.validator.validate(
      {
        handoffId: `${d.taskId}.e${d.leaseEpoch}.${shortDigest(cmd.commandId, 12)}`,
        taskId: d.taskId,
        runId: state.runId,
        stageId: state.stageId,
        iteration: typeof iteration === 'number' && Number.isInteger(iteration) && iteration > 0 ? iteration : null,
        fromAgentId: d.agentId,
        checks: checks ?? TaskChecks.parse({}),
        artifacts,
        artifactRefs: [],
        context: d.context ?? {},
        outputs: d.outputs,
      },
      { commandId: `validate:${cmd.commandId}`, correlationId: state.runId ?? d.taskId, actor: { kind: 'agent', id: d.agentId } },
    );
    const refs = Object.fromEntries(verdict.artifacts.map((a: ArtifactRef) => [a.name, { hash: a.hash, size: a.size, mediaType: a.mediaType }]));
    const handoff = { handoffId: verdict.handoffId, status: verdict.status, specIds: verdict.specIds, rulesChecked: verdict.rulesChecked, failures: verdict.failures };
    const outputs = { ...withContext, ...(verdict.artifacts.length > 0 ? { artifacts: refs } : {}), handoff };
    if (verdict.status === 'accepted') return { ...replyOf(d.taskId, await plain(outputs)), handoff: verdict };
    if (checks?.mode === 'review') return { ...replyOf(d.taskId, await plain({ ...outputs, verdict: 'rejected' })), handoff: verdict };
    const r = await this.handler.execute(
      d.taskId,
      (metadata) => ({ type: 'RejectHandoff', data: { taskId: d.taskId, agentId: d.agentId, leaseEpoch: d.leaseEpoch, handoffId: verdict.handoffId, failures: verdict.failures }, metadata }),
      ctx,
    );
    return { ...replyOf(d.taskId, r), handoff: verdict };
  }

  /**
   * SubmitTask: creates the task (queued). A run orchestrator passes runId/stageId. Conflict
   * declarations in `inputs` (`files`, `dependsOn`, `workItemId`/`work_item_id`) are checked first
   * (VALIDATION_FAILED naming each bad field). An existing task id: the same action, requirement
   * and inputs answer that task (idempotent); other content is a CONFLICT, and a `duplicate_task`
   * conflict is recorded so a human sees it.
   */
  async submit(cmd: CommandEnvelope<SubmitTaskData>, ctx: CommandContext): Promise<{ taskId: string }> {
    const d = cmd.data;
    const taskId = d.taskId ?? taskIdForCommand(cmd.commandId);
    const issues = constraintIssues(taskId, d.inputs);
    if (issues.length > 0) throw new ValidationError(`invalid baton.cmd.scheduler.submit-task data: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
    try {
      await createTask(
        this.handler,
        {
          taskId,
          runId: d.runId ?? null,
          stageId: d.stageId ?? null,
          action: d.action,
          requirement: d.requirement,
          priority: d.priority,
          inputs: d.inputs,
          maxAttempts: d.maxAttempts ?? this.defaults.maxAttempts,
          retry: d.retry ?? this.defaults.retry,
          timeoutMs: d.timeoutMs ?? null,
          slaDueAt: d.slaDueAt ?? null,
        },
        ctx,
        this.assign,
      );
    } catch (err) {
      if (!(err instanceof TaskAlreadyExistsError)) throw err;
      const { state } = await this.handler.load(taskId);
      if (!state.exists) throw err;
      const submitted = { action: d.action, requirement: d.requirement, inputs: d.inputs, runId: d.runId ?? null };
      if (sameSubmission(state, submitted)) return { taskId };
      const conflictId = this.conflicts === null ? null : await this.conflicts.recordDuplicateSubmission(state, submitted, cmd, ctx.trace);
      throw new ConflictError(
        `task ${taskId} already exists with other content${conflictId === null ? '' : `; recorded as conflict ${conflictId}`}`,
        { taskId, ...(conflictId === null ? {} : { conflictId }) },
      );
    }
    return { taskId };
  }

  /** An agent report (accept, progress, blocked, unblocked, complete, fail), checked against the lease. */
  async report(
    cmd: CommandEnvelope<{ taskId: string; agentId: string }>,
    build: (metadata: CommandMetadata) => AgentReportCommand,
    ctx: CommandContext,
  ): Promise<TaskCommandReply> {
    const r = await this.handler.execute(cmd.data.taskId, build, ctx);
    return replyOf(cmd.data.taskId, r);
  }

  async cancel(cmd: CommandEnvelope<{ taskId: string; reason: string }>, ctx: CommandContext): Promise<TaskCommandReply> {
    const r = await this.handler.execute(cmd.data.taskId, (metadata) => ({ type: 'CancelTask', data: { taskId: cmd.data.taskId, reason: cmd.data.reason }, metadata }), ctx);
    return replyOf(cmd.data.taskId, r);
  }

  /**
   * ClaimTask: the agent takes a waiting task itself. With a task id, that task (two claimants:
   * one wins, the other gets CONFLICT); without, the first task of the queue it can take.
   */
  async claim(cmd: CommandEnvelope<{ agentId: string; taskId?: string }>, ctx: CommandContext): Promise<AgentInboxAssignment> {
    const { agentId, taskId } = cmd.data;
    const [agent] = await agentCandidates(this.db, { agentId });
    if (!agent) throw new NotFoundError('agent', agentId);
    if (!agent.available) throw new BatonError('FORBIDDEN', `agent ${agentId} is offline or removed; it cannot claim tasks`, { agentId });
    if (agent.load >= agent.maxConcurrency) {
      throw new ConflictError(`agent ${agentId} already holds ${agent.load} tasks (max ${agent.maxConcurrency})`, { agentId });
    }
    const profile = { agentId, role: agent.role, capabilities: agent.capabilities };
    const tryClaim = async (id: string): Promise<AgentInboxAssignment> => {
      const r = await this.handler.execute(id, (metadata) => ({ type: 'ClaimTask', data: { taskId: id, agent: profile }, metadata }), ctx);
      if (!r.state.exists || r.state.agentId !== agentId) throw new ConflictError(`task ${id} was claimed by another agent`, { taskId: id });
      return assignmentOf(r.state, id);
    };
    const admitted = async <T extends { readonly taskId: string }>(queue: readonly T[]): Promise<readonly T[]> => (this.holds === null ? queue : (await this.holds.admit(queue, [])).queue);
    if (taskId !== undefined) {
      if ((await admitted([{ taskId }])).length === 0) {
        throw new ConflictError(`task ${taskId} is held back by a conflict (a dependency, a work item or files in use); see list-conflicts`, { taskId });
      }
      return tryClaim(taskId);
    }
    const candidates = await admitted((await queueHead(this.db, this.clock.now(), 200)).filter((t) => matchesRequirement(profile, t.requirement)));
    for (const t of candidates) {
      try {
        return await tryClaim(t.taskId);
      } catch (err) {
        if (errorCodeOf(err) !== 'CONFLICT') throw err;
      }
    }
    throw new BatonError('NOT_FOUND', `no waiting task that agent ${agentId} can take`, { agentId });
  }

  async get(taskId: string): Promise<TaskView> {
    const row = await findTask(this.db, taskId);
    if (!row) throw new NotFoundError('task', taskId);
    return toTaskView(row);
  }

  async list(filter: { status?: TaskView['status']; agentId?: string; runId?: string; limit: number }): Promise<{ tasks: TaskView[] }> {
    return { tasks: (await listTasks(this.db, filter)).map(toTaskView) };
  }
}
