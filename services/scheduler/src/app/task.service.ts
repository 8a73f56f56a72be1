import { createHash } from 'node:crypto';
import {
  BatonError,
  ConflictError,
  DEFAULT_MAX_ATTEMPTS,
  NotFoundError,
  RetryBackoff,
  errorCodeOf,
  type AgentInboxAssignment,
  type CommandEnvelope,
  type SubmitTaskData,
  type TaskCommandReply,
  type TaskView,
} from '@baton/contracts';
import type { Kysely } from 'kysely';
import type { SchedulerDatabase } from '../adapters/scheduler.tables';
import { agentCandidates, findTask, listTasks, queueHead, toTaskView } from '../adapters/task.queries';
import { matchesRequirement, type TaskCommand, type CommandMetadata, type TaskState } from '../domain';
import type { Clock, TraceHeaders } from './ports';
import type { CommandContext, TaskCommandHandler, TaskCommandResult } from './task-command.handler';

/** Defaults for submitted tasks that do not say. */
export interface TaskDefaults {
  readonly maxAttempts: number;
  readonly retry: RetryBackoff;
}

export const DEFAULT_TASK_DEFAULTS: TaskDefaults = {
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  retry: RetryBackoff.parse({}),
};

/** A task id derived from the command id, so a retried submit without a task id creates one task. */
export function taskIdForCommand(commandId: string): string {
  return `task-${createHash('sha256').update(commandId).digest('hex').slice(0, 32)}`;
}

function contextOf(cmd: CommandEnvelope<unknown>, trace: TraceHeaders, agentId?: string): CommandContext {
  return {
    commandId: cmd.commandId,
    ...(cmd.correlationId ? { correlationId: cmd.correlationId } : {}),
    ...(cmd.causationId ? { causationId: cmd.causationId } : {}),
    actor: cmd.actor ?? (agentId ? { kind: 'agent', id: agentId } : { kind: 'system', id: 'unknown' }),
    trace,
  };
}

function replyOf(taskId: string, r: TaskCommandResult): TaskCommandReply {
  const s = r.state;
  return { taskId, status: s.exists ? s.status : 'unknown', leaseEpoch: s.exists ? s.leaseEpoch : 0, revision: Math.max(0, r.revision) };
}

function assignmentOf(state: TaskState, taskId: string): AgentInboxAssignment {
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

type AgentReportCommand = Exclude<TaskCommand, { type: 'CreateTask' | 'AssignTask' | 'ClaimTask' | 'ReleaseTask' | 'CancelTask' }>;

/**
 * The task engine's use cases behind the NATS controller: submit, agent reports, claims,
 * cancel, and the read-model queries. Every command goes through {@link TaskCommandHandler}
 * (load, decide, append at the expected revision, idempotent by command id).
 */
export class TaskService {
  constructor(
    private readonly handler: TaskCommandHandler,
    private readonly db: Kysely<SchedulerDatabase>,
    private readonly clock: Clock,
    private readonly defaults: TaskDefaults = DEFAULT_TASK_DEFAULTS,
  ) {}

  /** SubmitTask: creates the task (queued). A run orchestrator passes runId/stageId. */
  async submit(cmd: CommandEnvelope<SubmitTaskData>, trace: TraceHeaders = {}): Promise<{ taskId: string }> {
    const d = cmd.data;
    const taskId = d.taskId ?? taskIdForCommand(cmd.commandId);
    await this.handler.execute(
      taskId,
      (metadata) => ({
        type: 'CreateTask',
        data: {
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
        metadata,
      }),
      contextOf(cmd, trace),
    );
    return { taskId };
  }

  /** An agent report (accept, progress, blocked, unblocked, complete, fail), checked against the lease. */
  async report(
    cmd: CommandEnvelope<{ taskId: string; agentId: string }>,
    build: (metadata: CommandMetadata) => AgentReportCommand,
    trace: TraceHeaders = {},
  ): Promise<TaskCommandReply> {
    const r = await this.handler.execute(cmd.data.taskId, build, contextOf(cmd, trace, cmd.data.agentId));
    return replyOf(cmd.data.taskId, r);
  }

  async cancel(cmd: CommandEnvelope<{ taskId: string; reason: string }>, trace: TraceHeaders = {}): Promise<TaskCommandReply> {
    const r = await this.handler.execute(
      cmd.data.taskId,
      (metadata) => ({ type: 'CancelTask', data: { taskId: cmd.data.taskId, reason: cmd.data.reason }, metadata }),
      contextOf(cmd, trace),
    );
    return replyOf(cmd.data.taskId, r);
  }

  /**
   * ClaimTask: the agent takes a waiting task itself. With a task id, that task (two claimants:
   * one wins, the other gets CONFLICT); without, the first task of the queue it can take.
   */
  async claim(cmd: CommandEnvelope<{ agentId: string; taskId?: string }>, trace: TraceHeaders = {}): Promise<AgentInboxAssignment> {
    const { agentId, taskId } = cmd.data;
    const [agent] = await agentCandidates(this.db, { agentId });
    if (!agent) throw new NotFoundError('agent', agentId);
    if (!agent.available) throw new BatonError('FORBIDDEN', `agent ${agentId} is offline or removed; it cannot claim tasks`, { agentId });
    if (agent.load >= agent.maxConcurrency) {
      throw new ConflictError(`agent ${agentId} already holds ${agent.load} tasks (max ${agent.maxConcurrency})`, { agentId });
    }
    const profile = { agentId, role: agent.role, capabilities: agent.capabilities };
    const tryClaim = async (id: string): Promise<AgentInboxAssignment> => {
      const r = await this.handler.execute(id, (metadata) => ({ type: 'ClaimTask', data: { taskId: id, agent: profile }, metadata }), contextOf(cmd, trace, agentId));
      if (!r.state.exists || r.state.agentId !== agentId) throw new ConflictError(`task ${id} was claimed by another agent`, { taskId: id });
      return assignmentOf(r.state, id);
    };
    if (taskId !== undefined) return tryClaim(taskId);
    const candidates = (await queueHead(this.db, this.clock.now(), 200)).filter((t) => matchesRequirement(profile, t.requirement));
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
