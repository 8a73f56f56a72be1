import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { BatonAgent, CommandClient, type AgentProfile, type CommandClientOptions } from '@baton/agent-sdk';
import {
  BatonError,
  ClaimTask,
  CompleteTask,
  FailTask,
  GetAgent,
  GetArtifact,
  GetRun,
  GetTask,
  ListConflicts,
  ListHandoffs,
  ListHandoffSpecs,
  ListTasks,
  RaiseEscalation,
  ReportBlocked,
  ReportProgress,
  ReportUnblocked,
  SubmitTask,
  Subjects,
  errorCodeOf,
  shortDigest,
  type AgentHeartbeat,
  type AgentInboxAssignment,
  type ArtifactInput,
  type ConflictView,
  type DataOf,
  type EscalationView,
  type HandoffVerdict,
  type HandoffView,
  type ReplyOf,
  type TaskView,
  type WorkflowResultView,
  type RequirementProfile,
} from '@baton/contracts';
import { claimableOf, taskContextOf, type TaskContext } from './task-context';

/** Task statuses in which an agent holds the task's lease. */
const HELD = new Set<TaskView['status']>(['assigned', 'accepted', 'blocked']);

/** How long the session waits for the scheduler's read models to catch up (a fresh claim shown, a fresh agent known). */
const READ_MODEL_WAIT_MS = 5000;

export interface AgentSessionOptions {
  /** The agent this session acts as. It comes from credentials (`--agent` with the environment's NATS credentials, or the HTTP bearer token), never from a tool argument. */
  readonly agentId: string;
  /** An open NATS connection (not closed by {@link AgentSession.close}). */
  readonly connection: NatsConnection;
  /**
   * Registers (or updates) the agent with this profile when the session opens. Null: the agent
   * must be registered already (e.g. from agents.yaml); the session only heartbeats.
   */
  readonly profile: AgentProfile | null;
  /** Heartbeat period while the session is open. Default 5000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Time-outs and retries of Baton commands. */
  readonly commands?: CommandClientOptions;
  /** How long a path reservation lasts when the agent does not end it sooner. Default 1 hour. */
  readonly reservationTtlMs?: number;
  readonly now?: () => Date;
}

/** A task the agent holds, with the context it needs to do it. */
export interface HeldTask {
  readonly taskId: string;
  readonly leaseEpoch: number;
  readonly status: string;
  readonly context: TaskContext;
}

/** The result of a handoff: the verdict (with every failing rule on a rejection) and where the task stands. */
export interface HandoffOutcome {
  readonly taskId: string;
  readonly status: string;
  readonly accepted: boolean;
  readonly verdict: HandoffVerdict | null;
  /** Reservations ended because the task was completed. */
  readonly releasedReservations: readonly string[];
}

export interface Reservation {
  readonly reservationId: string;
  readonly taskId: string;
  readonly paths: readonly string[];
  readonly expiresAt: string;
  /** Conflicts the scheduler has recorded so far that involve these paths (tasks held until the reservation ends). */
  readonly conflicts: readonly ConflictView[];
}

interface Lease {
  leaseEpoch: number;
  readonly reservations: Set<string>;
  /** Verdicts this session got, kept until the validator's read model shows them (it follows the append by moments). */
  readonly verdicts: HandoffView[];
}

/**
 * One agent's part in Baton, as an MCP server offers it: registered with the agent-registry,
 * heartbeating while the session is open, and working tasks by their lease (claim, progress,
 * blocked, handoff, release). Each call checks the lease with the scheduler; the session only
 * remembers lease epochs so the agent never has to repeat them.
 */
export class AgentSession {
  private readonly client: CommandClient;
  private readonly leases = new Map<string, Lease>();
  private heartbeat: NodeJS.Timeout | undefined;
  private matchProfile: RequirementProfile | undefined;
  private closed = false;

  private constructor(
    private readonly agent: BatonAgent,
    private readonly options: AgentSessionOptions,
  ) {
    this.client = new CommandClient(options.connection, { ...options.commands, asAgent: options.agentId });
  }

  /** Registers the agent (when a profile is given) and starts its heartbeats. */
  static async open(options: AgentSessionOptions): Promise<AgentSession> {
    const agent = await BatonAgent.connect({ agentId: options.agentId, connection: options.connection, ...(options.commands ? { commands: options.commands } : {}) });
    const session = new AgentSession(agent, options);
    if (options.profile !== null) {
      await agent.register(options.profile);
      session.matchProfile = { agentId: options.agentId, role: options.profile.role, capabilities: [...(options.profile.capabilities ?? [])] };
    }
    session.startHeartbeat();
    return session;
  }

  get agentId(): string {
    return this.options.agentId;
  }

  /** Tasks this session knows the agent holds (sent in heartbeats). */
  get heldTaskIds(): string[] {
    return [...this.leases.keys()];
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private startHeartbeat(): void {
    const beat = (): void => {
      const nc = this.options.connection;
      if (this.closed || nc.isClosed()) return;
      const body: AgentHeartbeat = { agentId: this.agentId, activeTasks: this.heldTaskIds, sentAt: this.now().toISOString() };
      try {
        nc.publish(Subjects.agentHeartbeat(this.agentId), JSON.stringify(body));
      } catch {
        // The next beat tries again; the registry tolerates gaps shorter than its window.
      }
    };
    beat();
    this.heartbeat = setInterval(beat, this.options.heartbeatIntervalMs ?? 5000);
    this.heartbeat.unref();
  }

  /** Stops the heartbeats (the registry marks the agent offline after its window, and the scheduler releases what it held). */
  close(): void {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private command<D extends Parameters<CommandClient['command']>[0]>(def: D, data: DataOf<D>, commandId: string = randomUUID()): Promise<ReplyOf<D>> {
    return this.client.command(def, data, { commandId });
  }

  private query<D extends Parameters<CommandClient['query']>[0]>(def: D, data: DataOf<D>): Promise<ReplyOf<D>> {
    return this.client.query(def, data);
  }

  private async profile(): Promise<RequirementProfile> {
    if (this.matchProfile) return this.matchProfile;
    const a = await this.query(GetAgent, { agentId: this.agentId });
    this.matchProfile = { agentId: a.agentId, role: a.role, capabilities: a.capabilities };
    return this.matchProfile;
  }

  private remember(taskId: string, leaseEpoch: number): void {
    const lease = this.leases.get(taskId);
    if (lease) lease.leaseEpoch = leaseEpoch;
    else this.leases.set(taskId, { leaseEpoch, reservations: new Set(), verdicts: [] });
  }

  /** The lease this agent holds on a task: remembered from the claim, else from the scheduler's view. STALE_LEASE when it holds none. */
  private async leaseOf(taskId: string): Promise<Lease> {
    const known = this.leases.get(taskId);
    if (known) return known;
    const view = await this.query(GetTask, { taskId });
    if (view.agentId !== this.agentId || !HELD.has(view.status)) {
      throw new BatonError('STALE_LEASE', `agent ${this.agentId} does not hold task ${taskId} (it is ${view.status}${view.agentId ? `, with ${view.agentId}` : ''}); claim it first`, { taskId });
    }
    this.remember(taskId, view.leaseEpoch);
    return this.leases.get(taskId) as Lease;
  }

  /** Forgets a task whose report was refused because the agent lost it. */
  private async report<T>(taskId: string, send: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await this.leaseOf(taskId);
    try {
      return await send(lease);
    } catch (err) {
      const code = errorCodeOf(err);
      if (code === 'STALE_LEASE' || code === 'ILLEGAL_TRANSITION' || code === 'NOT_FOUND') this.leases.delete(taskId);
      throw err;
    }
  }

  /** The whole context of a task: goal, inputs, upstream artifacts, rework feedback and the checks its handoff must pass. */
  async contextOf(task: Pick<AgentInboxAssignment, 'taskId' | 'runId' | 'stageId' | 'action' | 'inputs' | 'priority' | 'attempt' | 'leaseEpoch'>): Promise<TaskContext> {
    const hasChecks = task.inputs['checks'] != null;
    const [specs, handoffs] = await Promise.all([
      hasChecks ? this.query(ListHandoffSpecs, {}).then((r) => r.specs) : Promise.resolve([]),
      this.query(ListHandoffs, { taskId: task.taskId, limit: 100 }).then(
        (r) => r.handoffs,
        // Tasks without checks or artifacts never reach the validator; its absence hides no feedback.
        (err: unknown) => {
          if (!hasChecks && (errorCodeOf(err) === 'UNAVAILABLE' || errorCodeOf(err) === 'TIMEOUT')) return [];
          throw err;
        },
      ),
    ]);
    const recorded = new Set(handoffs.map((h) => h.handoffId));
    const pending = (this.leases.get(task.taskId)?.verdicts ?? []).filter((v) => !recorded.has(v.handoffId));
    return taskContextOf(task, this.agentId, specs, [...handoffs, ...pending]);
  }

  private async held(assignment: Pick<AgentInboxAssignment, 'taskId' | 'runId' | 'stageId' | 'action' | 'inputs' | 'priority' | 'attempt' | 'leaseEpoch'>, status: string): Promise<HeldTask> {
    this.remember(assignment.taskId, assignment.leaseEpoch);
    return { taskId: assignment.taskId, leaseEpoch: assignment.leaseEpoch, status, context: await this.contextOf(assignment) };
  }

  /** Tasks the scheduler shows this agent holding (pushed to it, or claimed earlier), oldest first. */
  async heldTasks(): Promise<TaskView[]> {
    const { tasks } = await this.query(ListTasks, { agentId: this.agentId, limit: 100 });
    return tasks.filter((t) => HELD.has(t.status) && !isReservation(t)).sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  }

  /**
   * A claim refused because the scheduler does not know this agent: right after it registered,
   * the scheduler's view of agents may be a moment behind; say so, retryable, instead of NOT_FOUND.
   */
  private unknownAgent(err: unknown): unknown {
    const details = err instanceof BatonError ? (err.details as { what?: unknown } | undefined) : undefined;
    if (errorCodeOf(err) !== 'NOT_FOUND' || details?.what !== 'agent') return err;
    return new BatonError('UNAVAILABLE', `the scheduler does not know agent ${this.agentId} yet (registered a moment ago, or not at all); try again shortly`, { agentId: this.agentId }, true, { cause: err });
  }

  /** Claims, waiting a little while the scheduler does not know this agent yet (it learns of agents from the registry's events). */
  private async claimCommand(taskId?: string): Promise<AgentInboxAssignment> {
    const deadline = Date.now() + READ_MODEL_WAIT_MS;
    for (;;) {
      try {
        return await this.command(ClaimTask, { agentId: this.agentId, ...(taskId !== undefined ? { taskId } : {}) });
      } catch (err) {
        if (this.unknownAgent(err) === err || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /**
   * The next task to work: one the agent already holds (assigned to it by the scheduler, or
   * claimed and not finished), else the first waiting task it can take, claimed now. Null when
   * there is none.
   */
  async nextTask(): Promise<HeldTask | null> {
    const [first] = await this.heldTasks();
    if (first) return this.held(first, first.status);
    try {
      const assignment = await this.claimCommand();
      return await this.held(assignment, 'assigned');
    } catch (err) {
      const mapped = this.unknownAgent(err);
      // NOT_FOUND about anything but the agent itself: no waiting task it can take.
      if (mapped === err && errorCodeOf(err) === 'NOT_FOUND') return null;
      throw mapped;
    }
  }

  /** Waiting tasks this agent may claim (its role and capabilities meet their requirement), in queue order. */
  async claimableTasks(limit = 50): Promise<TaskView[]> {
    const [{ tasks }, profile] = await Promise.all([this.query(ListTasks, { status: 'queued', limit: 1000 }), this.profile()]);
    return claimableOf(tasks, profile, this.now()).slice(0, limit);
  }

  /**
   * Claims a task (two claimants: one wins, the other gets CONFLICT). A task this agent already
   * holds is returned as it is, so claiming twice is harmless.
   */
  async claim(taskId: string): Promise<HeldTask> {
    const mine = await this.query(GetTask, { taskId }).catch((err: unknown) => {
      if (errorCodeOf(err) === 'NOT_FOUND') return null;
      throw err;
    });
    if (mine && mine.agentId === this.agentId && HELD.has(mine.status)) return this.held(mine, mine.status);
    try {
      const assignment = await this.claimCommand(taskId);
      return await this.held(assignment, 'assigned');
    } catch (err) {
      // The dispatcher may have pushed the task to this very agent between the read and the claim.
      const code = errorCodeOf(err);
      if (code !== 'CONFLICT' && code !== 'ILLEGAL_TRANSITION') throw this.unknownAgent(err);
      const deadline = Date.now() + READ_MODEL_WAIT_MS;
      while (Date.now() < deadline) {
        const view = await this.query(GetTask, { taskId });
        if (view.agentId === this.agentId && HELD.has(view.status)) return this.held(view, view.status);
        if (view.agentId !== null && view.agentId !== this.agentId) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw err;
    }
  }

  /** The context of a task the agent holds (or any task it may read, for the resource). */
  async taskContext(taskId: string): Promise<TaskContext> {
    return this.contextOf(await this.query(GetTask, { taskId }));
  }

  /** Progress (0–100) with a message and tokens used so far; also renews the agent's presence like a heartbeat. */
  async progress(taskId: string, percent: number, message?: string, tokensUsed?: number): Promise<{ taskId: string; status: string; leaseEpoch: number }> {
    const r = await this.report(taskId, (lease) =>
      this.command(ReportProgress, {
        taskId,
        agentId: this.agentId,
        leaseEpoch: lease.leaseEpoch,
        percent,
        ...(message !== undefined ? { message } : {}),
        ...(tokensUsed !== undefined ? { tokensUsed } : {}),
      }),
    );
    return { taskId, status: r.status, leaseEpoch: r.leaseEpoch };
  }

  async blocked(taskId: string, reason: string): Promise<{ taskId: string; status: string }> {
    const r = await this.report(taskId, (lease) => this.command(ReportBlocked, { taskId, agentId: this.agentId, leaseEpoch: lease.leaseEpoch, reason }));
    return { taskId, status: r.status };
  }

  async unblocked(taskId: string): Promise<{ taskId: string; status: string }> {
    const r = await this.report(taskId, (lease) => this.command(ReportUnblocked, { taskId, agentId: this.agentId, leaseEpoch: lease.leaseEpoch }));
    return { taskId, status: r.status };
  }

  /**
   * Hands the work over: the scheduler has the handoff-validator check it against the task's
   * specs, gates and criteria. Accepted: the task completes. Rejected: nothing completes, the
   * task stays with the agent, and the verdict lists every failing rule to fix before the next
   * submission.
   */
  async submitHandoff(taskId: string, handoff: { artifacts: ArtifactInput[]; context?: Record<string, unknown>; outputs?: Record<string, unknown> }): Promise<HandoffOutcome> {
    const r = await this.report(taskId, (lease) =>
      this.command(CompleteTask, {
        taskId,
        agentId: this.agentId,
        leaseEpoch: lease.leaseEpoch,
        outputs: handoff.outputs ?? {},
        ...(handoff.artifacts.length > 0 ? { artifacts: handoff.artifacts } : {}),
        ...(handoff.context !== undefined ? { context: handoff.context } : {}),
      }),
    );
    const accepted = r.status === 'completed';
    if (r.handoff && !accepted) {
      const h = r.handoff;
      this.leases.get(taskId)?.verdicts.push({ handoffId: h.handoffId, taskId, runId: null, stageId: null, iteration: null, fromAgentId: this.agentId, status: h.status, specIds: h.specIds, artifacts: h.artifacts, context: handoff.context ?? {}, failures: h.failures, submittedAt: this.now().toISOString() });
    }
    const releasedReservations = accepted ? await this.endReservations(taskId) : [];
    if (accepted) this.leases.delete(taskId);
    return { taskId, status: r.status, accepted, verdict: r.handoff ?? null, releasedReservations };
  }

  /**
   * Gives a task back. The protocol has no release command for agents, so this is a retryable
   * failure (`fail-task`, code RELEASED): the task goes back to the queue for another attempt
   * when it has attempts left (each release uses one), else it fails for good.
   */
  async release(taskId: string, reason: string): Promise<{ taskId: string; status: string; releasedReservations: string[] }> {
    const r = await this.report(taskId, (lease) =>
      this.command(FailTask, { taskId, agentId: this.agentId, leaseEpoch: lease.leaseEpoch, error: { message: reason, code: 'RELEASED' }, retryable: true }),
    );
    const releasedReservations = await this.endReservations(taskId);
    this.leases.delete(taskId);
    return { taskId, status: r.status, releasedReservations };
  }

  /** Raises an escalation about a task (to a peer, the lead or a person, by the escalation ladder), as this agent. */
  async escalate(taskId: string, e: { issue: string; trigger?: 'manual' | 'approval_needed' | 'cross_domain' | 'policy_decision'; options?: { label: string; tradeoff?: string }[]; recommendation?: string; blocking?: string }): Promise<EscalationView> {
    // Only the holder escalates about a task here; the lease known to this session counts even before the read model shows it.
    await this.leaseOf(taskId);
    const view = await this.query(GetTask, { taskId });
    return this.command(RaiseEscalation, {
      trigger: e.trigger ?? 'manual',
      issue: e.issue,
      options: (e.options ?? []).map((o) => ({ label: o.label, tradeoff: o.tradeoff ?? '' })),
      ...(e.recommendation !== undefined ? { recommendation: e.recommendation } : {}),
      blocking: e.blocking ?? '',
      taskId,
      agentId: this.agentId,
      ...(view.runId !== null ? { runId: view.runId } : {}),
      ...(view.stageId !== null ? { stageId: view.stageId, workflowStage: view.stageId } : {}),
    });
  }

  /**
   * Reserves paths (files or globs) while the agent works a task it holds, so that tasks declaring
   * overlapping `inputs.files` are held back by the scheduler (a `file_overlap` conflict) until the
   * reservation ends. The scheduler has no command to add files to a held task, so a reservation
   * is a task of its own (`reserve_paths`, required to go to this agent, one attempt, timing out
   * after the TTL) that the agent claims at once; it ends when the task is handed over or released.
   * It takes one of the agent's slots (`maxConcurrency`).
   */
  async reservePaths(taskId: string, paths: readonly string[], ttlMs?: number): Promise<Reservation> {
    const lease = await this.leaseOf(taskId);
    const view = await this.query(GetTask, { taskId });
    const normalized = [...new Set(paths.map((p) => p.trim()).filter((p) => p !== ''))].sort();
    if (normalized.length === 0) throw new BatonError('VALIDATION_FAILED', 'give at least one path or glob to reserve', { issues: [{ path: 'paths', message: 'empty' }] });
    const ttl = ttlMs ?? this.options.reservationTtlMs ?? 3_600_000;
    const reservationId = `reserve.${shortDigest(`${this.agentId}|${taskId}|${lease.leaseEpoch}|${normalized.join('\n')}`, 24)}`;
    await this.command(
      SubmitTask,
      {
        taskId: reservationId,
        action: RESERVATION_ACTION,
        requirement: { agentId: this.agentId, capabilities: [] },
        priority: 'P0',
        inputs: { files: normalized, reservedFor: taskId, leaseEpoch: lease.leaseEpoch },
        ...(view.runId !== null ? { runId: view.runId } : {}),
        maxAttempts: 1,
        timeoutMs: ttl,
      },
      `submit:${reservationId}`,
    );
    const held = await this.claim(reservationId);
    lease.reservations.add(reservationId);
    const expiresAt = new Date(this.now().getTime() + ttl).toISOString();
    const { conflicts } = await this.query(ListConflicts, { status: 'open', kind: 'file_overlap', limit: 100 });
    const involved = conflicts.filter((c) => c.taskIds.includes(reservationId) || overlapsWith(c, reservationId));
    this.remember(reservationId, held.leaseEpoch);
    return { reservationId, taskId, paths: normalized, expiresAt, conflicts: involved };
  }

  /** Ends the reservations made for a task (completes their reservation tasks); the ids ended. */
  private async endReservations(taskId: string): Promise<string[]> {
    const lease = this.leases.get(taskId);
    const ended: string[] = [];
    for (const reservationId of lease?.reservations ?? []) {
      const held = this.leases.get(reservationId);
      if (!held) continue;
      try {
        await this.command(CompleteTask, { taskId: reservationId, agentId: this.agentId, leaseEpoch: held.leaseEpoch, outputs: { reservedFor: taskId } }, `end:${reservationId}:${held.leaseEpoch}`);
        ended.push(reservationId);
      } catch (err) {
        // A reservation that timed out or was taken away has ended already.
        const code = errorCodeOf(err);
        if (code !== 'STALE_LEASE' && code !== 'ILLEGAL_TRANSITION' && code !== 'NOT_FOUND') throw err;
      }
      this.leases.delete(reservationId);
    }
    return ended;
  }

  /** A run's status (stages, their state and outputs). */
  runStatus(runId: string): Promise<WorkflowResultView> {
    return this.query(GetRun, { runId });
  }

  /** An artifact's content by hash. */
  artifact(hash: string): Promise<ReplyOf<typeof GetArtifact>> {
    return this.query(GetArtifact, { hash });
  }
}

/** The action of the tasks that carry path reservations. */
export const RESERVATION_ACTION = 'reserve_paths';

function isReservation(t: TaskView): boolean {
  return t.action === RESERVATION_ACTION;
}

/** Does a file-overlap conflict name this reservation among the in-flight tasks it overlaps? */
function overlapsWith(c: ConflictView, reservationId: string): boolean {
  const overlaps = c.details['overlaps'];
  return Array.isArray(overlaps) && overlaps.some((o) => typeof o === 'object' && o !== null && (o as { taskId?: unknown }).taskId === reservationId);
}
