import { comparePositions, errorCodeOf, matchesRequirement, type AgentInboxAssignment, type TaskRequirement, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import type { MessagingLogger } from '@baton/messaging';
import type { ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import { serviceContext, type Clock, type CommandResult, type IdSource } from '@baton/aggregate';
import type { EventStore } from '@baton/event-store';
import type { TaskRunner } from '../app/runners';
import { assignmentOf, type SubmittedTask } from '../app/task.service';
import type { AssignAtCreate, NewTask } from '../app/create-task';
import { DEFAULT_QUEUE_POLICY, orderQueue, planAssignments, type AgentCandidate, type QueuePolicy, type TaskEvent, type TaskState } from '../domain';
import { readConstraints } from '../domain/conflict';
import type { ConflictGuard } from './conflict.guard';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { agentCandidates, queueHead, tasksHeldByUnavailableAgents, type AgentSnapshot, type QueuedTask } from '../read-model/task.queries';

export interface DispatcherOptions {
  readonly db: Kysely<SchedulerDatabase>;
  readonly handler: TaskRunner;
  /** To find the last event of a task the store has moved on from (see #skipUntilShown). */
  readonly store: EventStore;
  readonly projection: ProjectionRunner<SchedulerDatabase>;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Waiting tasks considered per pass. */
  readonly batchSize: number;
  /** True while this process holds the dispatcher lease; checked before every append. */
  readonly isLeader: () => boolean;
  readonly logger: MessagingLogger;
  /** Conflict checks (dependencies, work items, file overlap): held tasks are not planned. Optional. */
  readonly conflicts?: ConflictGuard;
  /** Each assignment made, as the inbox will carry it (from the state the append produced), with its TaskAssigned as stored. */
  readonly onAssigned?: (assignment: AgentInboxAssignment, agentId: string, event: NewEvent | undefined) => void;
  /** The queue rule's policy, to merge tasks submitted here with the head read from the read model. */
  readonly policy?: QueuePolicy;
}

/** A pass reads the whole queue head at least this often while it runs (see `Dispatcher.changed`). */
const FULL_PASS_EVERY_MS = 1000;

/** Tasks submitted here and not shown by the read model yet, kept at most this many (oldest dropped: the read model shows them soon). */
const MAX_FRESH = 10_000;

/** Codes that mean "someone else got there first" (a claim, another pass): skip the task. */
const LOST_RACE = new Set(['CONFLICT', 'WRONG_EXPECTED_VERSION', 'NOT_FOUND', 'STALE_LEASE']);

/** Waiting tasks a pass left behind, above which it does not keep their requirements (see `Dispatcher.reserve`). */
const MAX_LEFT_KEPT = 256;

/** Assignments not yet shown by the read model, in batches, above which a pass assigns nothing more. */
const MAX_IN_FLIGHT_BATCHES = 4;

/** Task events after which no pass can do more than before: the task stays with its agent. */
const NEVER_FREES: ReadonlySet<string> = new Set(['TaskAccepted', 'TaskProgressReported']);

/** Task events that only free a slot or settle a task another may depend on: worth a pass only when tasks wait. */
const FREES_WHEN_WAITING: ReadonlySet<string> = new Set(['TaskCompleted', 'TaskCancelled']);

/** Task events that end an agent's hold on the task (see {@link AgentsView}). */
const ENDS_HOLD: ReadonlySet<string> = new Set(['TaskCompleted', 'TaskFailed', 'TaskReleased', 'TaskCancelled']);

/** Task events that leave who holds the task as it was. */
const KEEPS_HOLD: ReadonlySet<string> = new Set(['TaskCreated', 'TaskAccepted', 'TaskProgressReported', 'TaskBlocked', 'TaskUnblocked', 'TaskHandoffRejected']);

/**
 * The available agents and the tasks each holds, as a pass read them from the read model, kept
 * up to date with the task events the read model applies after (a task event decides who holds
 * the task, so applying a later event over an earlier read converges on the same holders).
 */
export interface AgentsView {
  readonly agents: readonly AgentSnapshot[];
  /** Held task -> its agent. */
  readonly holder: Map<string, string>;
  /** When the agents were read (clock ms): their availability is trusted for {@link FULL_PASS_EVERY_MS}. */
  readonly at: number;
}

/** What the last pass left (see `Dispatcher`): tasks it did not assign, or a stop for the read model. */
export interface PassLeft {
  readonly waiting: boolean;
  readonly gated: boolean;
}

/**
 * Whether the read model's applying `events` may let a pass do what the last one (which left
 * `left`) could not; `planned` tells the tasks created here that a pass already planned from
 * memory; `freedHelps` whether the slot a task's completion or cancellation frees may serve a
 * task the last pass left waiting (default: it may). See {@link Dispatcher.shown}.
 */
export function passMayDoMore(
  events: readonly Pick<RecordedEvent, 'type' | 'streamId' | 'data'>[],
  left: PassLeft,
  planned: (taskId: string) => boolean,
  freedHelps: (event: Pick<RecordedEvent, 'type' | 'streamId' | 'data'>) => boolean = () => true,
): boolean {
  for (const e of events) {
    if (NEVER_FREES.has(e.type)) continue;
    if (e.type === 'TaskAssigned') {
      if (left.gated) return true;
      continue;
    }
    if (e.type === 'TaskCreated') {
      const taskId = (e.data as { taskId?: unknown }).taskId;
      if (typeof taskId === 'string' && planned(taskId)) continue;
      return true;
    }
    if (!e.streamId.startsWith('task-')) {
      // Conflict events (holds that start or end).
      if (left.waiting || left.gated) return true;
      continue;
    }
    if (FREES_WHEN_WAITING.has(e.type)) {
      // Completions and cancellations: a freed slot, a settled dependency.
      if (left.gated || (left.waiting && freedHelps(e))) return true;
      continue;
    }
    return true;
  }
  return false;
}

/** What a dispatcher has done so far (tests and probes). */
export interface DispatcherCounts {
  /** Passes run (a pass is a query or three; at idle, tasks created assigned need none). */
  readonly passes: number;
  /** Pages of the tasks read model that asked for a pass (the idle poll and submits are not counted). */
  readonly readModelWakes: number;
}

/** A task this process changed whose event the tasks read model has not applied yet. */
interface InFlight {
  /** `assigned`: assigned by us (the read model still shows it queued and not in the agent's load);
   *  `released`: released by us (still shown held); `stale`: the store had moved on when we tried;
   *  `finished`: completed or failed by its agent (the read model may still show it held: not counted in its load). */
  readonly kind: 'assigned' | 'released' | 'stale' | 'finished';
  readonly agentId?: string;
  readonly at?: string;
  /** The read model reflects the change once its checkpoint is at or past this; absent while the
   *  append is under way (a reservation, see {@link Dispatcher.reserve}): never pruned. */
  readonly position?: Position;
}

/**
 * The assignment loop's passes (run by a {@link WakeLoop}, which coalesces wakes: one pass at
 * a time, at most one more pending, under the dispatcher lease):
 * 1. every task held by an agent that went offline or was removed is released
 *    (`TaskReleased`, reason `agent_offline`) and so goes back to the queue ahead of its priority;
 * 2. the head of the queue (ordered in SQL by the domain's queue key) is planned against the
 *    available agents with their loads (`planAssignments`, pure), and each planned task gets
 *    `TaskAssigned` appended at its expected revision (a claim that won meanwhile makes it skip).
 *    Tasks with a conflict are held back first (`ConflictGuard`: dependencies, work item, files).
 *
 * It never waits for the tasks read model. Instead it remembers, in memory, the tasks it
 * changed (and those it found already changed in the store) until the read model's
 * checkpoint reaches the event: such a task is skipped when planning, and each assignment
 * still counts in its agent's load, so a read model that lags behind (a backlog of other
 * events) neither stalls dispatch nor lets it exceed an agent's max concurrency. The append's
 * expected revision remains what makes an assignment correct; the memory only avoids
 * re-deciding tasks the read model does not show as changed yet.
 * A pass returns 0 (run again now) when it assigned something, so a queue longer than one
 * batch drains; the projection wakes the loop as it applies events.
 */
export class Dispatcher implements AssignAtCreate {
  readonly #o: DispatcherOptions;
  readonly #inFlight = new Map<string, InFlight>();
  /** Tasks created in this process that the read model may not show yet (see {@link submitted}). */
  readonly #fresh = new Map<string, QueuedTask & { readonly position: Position }>();
  /**
   * What the last pass left: tasks it saw waiting and did not assign (no agent free, held by a
   * conflict, past the batch), or that it stopped for the read model to catch up. Either way a
   * freed slot or an applied event may let the next pass do more; with nothing left, they cannot.
   */
  #left: PassLeft = { waiting: true, gated: false };
  /** Signals that the queue or the agents may have changed outside this process' view (see {@link changed}). */
  #changes = 0;
  /** The last pass read the queue and left nothing, and no change was signalled since: a pass needs only the fresh tasks. */
  #headKnown = false;
  #lastFullPassAt = 0;
  /** The agents and their held tasks for planning without a query (see {@link reserve}); null until a pass reads them, or after a change. */
  #view: AgentsView | null = null;
  /** Task events the read model applied while a pass read the agents: applied over what it read. */
  #appliedDuringRead: RecordedEvent[] | null = null;
  /** The same for a read of the agents alone (see {@link reserve}), while one is under way. */
  #appliedDuringRefresh: RecordedEvent[] | null = null;
  /** Passes that read the agents so far: a refresh read before the last of them is dropped. */
  #agentReads = 0;
  #passes = 0;
  #passDone: Promise<void> | undefined;
  #readModelWakes = 0;
  #passing = false;
  /**
   * The requirements of the tasks the last pass left waiting (none could be given an agent), and
   * of those submitted here since; null when not known (a change since, a full head): then
   * nothing is planned at creation.
   */
  #leftFor: TaskRequirement[] | null = null;
  /** The last pass held back some task for a conflict (a dependency, a work item, files): any completion may settle it. */
  #leftHeld = false;
  /** The agents as last read (a pass, a refresh), by id: what a freed slot's agent can take (see {@link #freedHelps}). */
  #agentsRead = new Map<string, AgentSnapshot>();

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Passes run so far (a pass is a query or three; at idle, tasks created assigned need none). */
  get passes(): number {
    return this.#passes;
  }

  /** Pages of the tasks read model that asked for a pass (see {@link shown}); polls and submits are not counted. */
  get readModelWakes(): number {
    return this.#readModelWakes;
  }

  /** Tasks changed by this dispatcher that the read model has not shown yet. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Forgets the tasks changed under an earlier lease (the read model may have moved meanwhile). */
  reset(): void {
    this.#inFlight.clear();
    this.#fresh.clear();
    this.#left = { waiting: true, gated: false };
    this.#headKnown = false;
    this.#view = null;
    this.#leftFor = null;
    this.#o.conflicts?.reset();
  }

  /**
   * An agent's report ended its hold on a task (committed at `position`). Its slot is free at
   * once, not when the read model applies the event: loads are counted without the finished
   * tasks (in the same query, so whether the read model shows them held yet does not matter),
   * and an assignment of it not shown yet stops counting too. Lease holder only. True when a
   * pass may use the slot: the last one left tasks waiting.
   */
  finished(taskId: string, position: Position): boolean {
    if (!this.#o.isLeader()) return false;
    // The read model may show it already (its feed can apply a commit before this callback
    // runs): then there is nothing to remember, and no later page would let it go.
    if (this.#isShown(position)) this.#inFlight.delete(taskId);
    else this.#inFlight.set(taskId, { kind: 'finished', position });
    return this.#left.waiting || this.#left.gated;
  }

  /**
   * The tasks read model applied `events`: true when a pass may now do what the last one could
   * not. A task created elsewhere (or with constraints) is new to the queue; a release, a retry
   * or an unblock puts a task back; a completion or a cancellation frees a slot and may settle a
   * dependency, which matters only when tasks wait; an applied assignment matters only when a
   * pass stopped for the read model. Assignments made here and tasks planned from
   * {@link submitted} were acted on already. Unknown types wake it (no event is missed).
   */
  shown(events: readonly RecordedEvent[]): boolean {
    if (this.#appliedDuringRead) for (const e of events) this.#appliedDuringRead.push(e);
    if (this.#appliedDuringRefresh) for (const e of events) this.#appliedDuringRefresh.push(e);
    const before = this.#view;
    if (this.#view) this.#view = withApplied(this.#view, events);
    // Asked before the memory of these tasks is let go below: a task created or assigned here is
    // known by that memory, and its events wake no pass.
    const more = passMayDoMore(
      events,
      this.#left,
      (taskId) => this.#fresh.has(taskId) || this.#inFlight.has(taskId),
      (e) => this.#freedHelps(e, before),
    );
    // What the read model now shows needs no memory: with passes rare (tasks created assigned),
    // this is where it is let go. Not during a pass, whose plan may rest on a read before these.
    if (!this.#passing) this.#prune();
    // The queue may have changed (the view of the agents is up to date with these events).
    if (more) {
      this.#readModelWakes++;
      this.#moved();
    }
    return more;
  }

  /**
   * Whether the slot a completion or cancellation frees may serve a task the last pass left
   * waiting: when those tasks are known (none held back for a conflict, which any completion may
   * settle), only if one of them could go to the freed agent. Unknown: it may.
   */
  #freedHelps(e: Pick<RecordedEvent, 'data'>, view: AgentsView | null): boolean {
    const leftFor = this.#leftFor;
    if (leftFor === null || this.#leftHeld) return true;
    const data = e.data as { taskId?: unknown; agentId?: unknown };
    const agentId = typeof data.agentId === 'string' ? data.agentId : typeof data.taskId === 'string' ? view?.holder.get(data.taskId) : undefined;
    const agent = agentId === undefined ? undefined : this.#agentsRead.get(agentId);
    return agent === undefined || leftFor.some((r) => matchesRequirement(agent, r));
  }

  /**
   * The queue or the agents may have changed in a way only the read model shows: an agent came,
   * went or changed, a timer made a task due, the read model applied an event that may let a
   * pass do more. The next pass reads the queue head and the tasks held by unavailable agents
   * again; until then, and at most for a second, a pass woken by a submit here plans the fresh
   * tasks against the agents alone (one query, not three).
   */
  changed(): void {
    this.#moved();
    this.#view = null;
  }

  #moved(): void {
    this.#changes++;
    this.#headKnown = false;
    this.#leftFor = null;
  }

  /**
   * A task about to be created here (a submit, a run's stage): when no task waits that the agent
   * could take instead (of those the last pass left, none matches it), no pass is under way and
   * an agent that can take it has a free slot as of the last pass's read of the
   * agents (at most {@link FULL_PASS_EVERY_MS} ago, kept up to date with every task event the
   * read model applied since and with this dispatcher's own assignments), the agent it would be
   * assigned to. The task is then created assigned to it (TaskCreated and TaskAssigned in one
   * append): at idle, one append and no query between submit and delivery. The slot is counted
   * from now: {@link settle} must follow, with the append's result or without one. Otherwise
   * null, and the task is created queued for a pass as before. Lease holder only.
   */
  reserve(task: NewTask): string | null {
    const o = this.#o;
    const view = this.#view;
    const leftFor = this.#leftFor;
    if (!o.isLeader() || view === null || this.#passing || leftFor === null || this.#left.gated) return null;
    if (readConstraints(task.inputs) !== null || this.#inFlight.has(task.taskId)) return null;
    const now = o.clock.now();
    const age = now.getTime() - view.at;
    if (age >= FULL_PASS_EVERY_MS) return null;
    // Read the agents again before this read is too old, so a steady flow of tasks never falls back to a pass.
    if (age >= FULL_PASS_EVERY_MS / 2 && this.#appliedDuringRefresh === null) void this.#refreshView();
    const entry = { taskId: task.taskId, priority: task.priority, requirement: task.requirement, createdAt: now.toISOString(), requeued: false, notBefore: null };
    const [planned] = planAssignments([entry], this.#loads(view), now);
    if (planned === undefined) return null;
    // Not ahead of a task that waits for this agent (queue order holds).
    const agent = view.agents.find((a) => a.agentId === planned.agentId);
    if (agent === undefined || leftFor.some((r) => matchesRequirement(agent, r))) return null;
    this.#inFlight.set(task.taskId, { kind: 'assigned', agentId: planned.agentId, at: now.toISOString() });
    return planned.agentId;
  }

  /** Reads the agents again, for {@link reserve}; dropped if a pass read them meanwhile or something changed. */
  async #refreshView(): Promise<void> {
    const o = this.#o;
    const changes = this.#changes;
    const reads = this.#agentReads;
    const during: RecordedEvent[] = [];
    this.#appliedDuringRefresh = during;
    try {
      const at = o.clock.now().getTime();
      const agents = await agentCandidates(o.db);
      if (this.#changes !== changes || this.#agentReads !== reads || this.#passing || this.#view === null) return;
      this.#agentsRead = new Map(agents.map((a) => [a.agentId, a]));
      this.#view = withApplied(viewOf(agents, at), during);
    } catch (err) {
      o.logger.warn(`reading the agents for assignment at creation failed (passes go on): ${(err as Error).message}`);
    } finally {
      this.#appliedDuringRefresh = null;
    }
  }

  /**
   * The create of a task {@link reserve}d: with its result, the assignment counts until the read
   * model shows it and the inbox carries it at once; without (it failed, or the task existed
   * already and nothing was assigned), the slot is free again.
   */
  settle(taskId: string, result?: CommandResult<TaskState, TaskEvent>): void {
    const f = this.#inFlight.get(taskId);
    if (f === undefined || f.kind !== 'assigned' || f.position !== undefined) return;
    const assigned = result?.recorded?.find((e) => e.type === 'TaskAssigned');
    if (result?.position === undefined || assigned === undefined || !result.state.exists || result.state.agentId !== f.agentId) {
      this.#inFlight.delete(taskId);
      return;
    }
    if (this.#isShown(result.position)) this.#inFlight.delete(taskId);
    else this.#inFlight.set(taskId, { ...f, position: result.position });
    this.#o.onAssigned?.(assignmentOf(result.state, taskId), f.agentId!, assigned);
  }

  /**
   * A submit in this process created a task (committed at `position`). The next pass plans it
   * with the queue read from the read model, without waiting for the read model to apply its
   * TaskCreated: at idle that wait is most of the time from submit to assignment. A task that
   * declares constraints (files, dependencies, a work item) waits for the read model, where the
   * conflict check reads them. Lease holder only.
   */
  submitted(task: SubmittedTask): void {
    if (!this.#o.isLeader() || readConstraints(task.inputs) !== null) return;
    const { inputs: _inputs, ...entry } = task;
    this.#fresh.set(task.taskId, { ...entry, requirement: { ...task.requirement } });
    if (this.#fresh.size > MAX_FRESH) this.#fresh.delete(this.#fresh.keys().next().value as string);
    // It waits for the pass this wakes: a task created meanwhile is not planned ahead of it.
    this.#left = { ...this.#left, waiting: true };
    this.#leftFor?.push(task.requirement);
  }

  /** Resolves once the pass under way, if any, has ended (and let go of what the read model showed during it). */
  async passEnded(): Promise<void> {
    await this.#passDone;
  }

  async pass(): Promise<number | void> {
    this.#passing = true;
    this.#passes++;
    let ended!: () => void;
    this.#passDone = new Promise<void>((resolve) => (ended = resolve));
    try {
      return await this.#pass();
    } finally {
      ended();
      this.#passing = false;
      this.#appliedDuringRead = null;
      // What the read model showed during the pass (not let go then: the plan may rest on a read
      // before it) is let go now, not at the next page or pass.
      this.#prune();
    }
  }

  async #pass(): Promise<number | void> {
    const o = this.#o;
    if (!o.isLeader()) return;
    this.#prune();

    const now = o.clock.now();
    const changes = this.#changes;
    // Nothing waits and nothing changed since the last full pass: only tasks submitted here can be new.
    const light = this.#headKnown && now.getTime() - this.#lastFullPassAt < FULL_PASS_EVERY_MS;
    if (!light) this.#lastFullPassAt = now.getTime();
    const releasing = this.#count('released') + this.#count('stale');
    const headLimit = o.batchSize + this.#inFlight.size + (o.conflicts?.heldCount ?? 0);
    // Independent reads, on separate connections: one round trip of waiting, not three.
    this.#view = null;
    this.#appliedDuringRead = [];
    const [heldByUnavailable, dbHead, agents] = await Promise.all([
      light ? [] : tasksHeldByUnavailableAgents(o.db, o.batchSize + releasing),
      light ? [] : queueHead(o.db, now, headLimit),
      agentCandidates(o.db),
    ]);
    this.#agentReads++;
    this.#agentsRead = new Map(agents.map((a) => [a.agentId, a]));
    const read = viewOf(agents, now.getTime());
    const applied = withApplied(read, this.#appliedDuringRead);
    this.#appliedDuringRead = null;
    // Planning without a query (see reserve) starts from this read, once the pass is over.
    if (this.#changes === changes) this.#view = applied;
    const view = applied ?? read;
    for (const held of heldByUnavailable) {
      if (!o.isLeader()) return;
      if (this.#inFlight.has(held.taskId)) continue;
      try {
        const r = await o.handler.execute(
          held.taskId,
          (metadata) => ({ type: 'ReleaseTask', data: { ...held, reason: 'agent_offline' }, metadata }),
          serviceContext('scheduler', o.ids.newId()),
        );
        if (r.appended.length > 0 && r.position) {
          this.#inFlight.set(held.taskId, { kind: 'released', position: r.position });
          o.logger.log(`released task ${held.taskId} from offline agent ${held.agentId}`);
        } else await this.#skipUntilShown(held.taskId);
      } catch (err) {
        if (!LOST_RACE.has(errorCodeOf(err) ?? '')) throw err;
        await this.#skipUntilShown(held.taskId);
      }
    }

    // Enough unapplied assignments: let the read model catch up (its progress wakes the loop).
    if (this.#count('assigned') >= MAX_IN_FLIGHT_BATCHES * o.batchSize) {
      this.#left = { waiting: true, gated: true };
      this.#headKnown = false;
      this.#leftFor = null;
      return;
    }

    const head = this.#withFresh(dbHead, now);
    const waiting = head.filter((t) => !this.#inFlight.has(t.taskId));
    // Tasks with a conflict (dependency not completed, work item taken, files in use) are held back.
    // Those submitted here declare none (see `submitted`), so at idle the check costs no query.
    const fromReadModel = waiting.filter((t) => !this.#fresh.has(t.taskId));
    const admitted = o.conflicts && fromReadModel.length > 0 ? await o.conflicts.admit(fromReadModel, this.#ids('assigned')) : undefined;
    this.#leftHeld = admitted !== undefined && admitted.queue.length < fromReadModel.length;
    const admittedIds = admitted && new Set(admitted.queue.map((t) => t.taskId));
    const queue = (admittedIds ? waiting.filter((t) => this.#fresh.has(t.taskId) || admittedIds.has(t.taskId)) : waiting).slice(0, o.batchSize);
    // A head read to its limit may have more behind it.
    const headFull = dbHead.length >= headLimit;
    this.#left = { waiting: waiting.length > 0 || headFull, gated: false };
    this.#headKnown = !this.#left.waiting && this.#changes === changes;
    const keepLeft = (assignedIds: ReadonlySet<string>): void => {
      const left = waiting.filter((t) => !assignedIds.has(t.taskId));
      this.#leftFor = headFull || left.length > MAX_LEFT_KEPT || this.#changes !== changes ? null : left.map((t) => t.requirement);
    };
    if (queue.length === 0) {
      keepLeft(new Set());
      return;
    }
    const plan = planAssignments(queue, this.#loads(view), now);
    // The plan's appends go out together (each on its own stream, at its expected revision):
    // the store commits them in shared statements (group commit) instead of one after another.
    const assignedIds = new Set<string>();
    const outcomes = await Promise.allSettled(
      plan
        .filter((p) => !admitted || admitted.take(p.taskId))
        .map(async (p) => {
          if (!o.isLeader()) return;
          try {
            const r = await o.handler.execute(p.taskId, (metadata) => ({ type: 'AssignTask', data: p, metadata }), serviceContext('scheduler', o.ids.newId()));
            if (r.appended.length > 0 && r.position) {
              this.#inFlight.set(p.taskId, { kind: 'assigned', agentId: p.agentId, at: now.toISOString(), position: r.position });
              o.onAssigned?.(assignmentOf(r.state, p.taskId), p.agentId, r.recorded?.find((e) => e.type === 'TaskAssigned'));
              assignedIds.add(p.taskId);
            } else await this.#skipUntilShown(p.taskId);
          } catch (err) {
            if (!LOST_RACE.has(errorCodeOf(err) ?? '')) throw err;
            await this.#skipUntilShown(p.taskId);
          }
        }),
    );
    const failed = outcomes.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
    // Left behind: tasks this pass saw and did not assign (or did not see: a full head).
    const assigned = assignedIds.size;
    this.#left = { waiting: headFull || waiting.length > assigned, gated: false };
    keepLeft(assignedIds);
    this.#headKnown = !this.#left.waiting && this.#changes === changes;
    // Another pass at once only when it may assign more (a queue longer than a batch drains).
    return assigned > 0 && this.#left.waiting ? 0 : undefined;
  }

  /** Drops what the read model now shows: its checkpoint is at or past the event. */
  /** Does the tasks read model show the event at `position` already? */
  #isShown(position: Position): boolean {
    const checkpoint = this.#o.projection.checkpoint;
    return checkpoint !== undefined && comparePositions(checkpoint, position) >= 0;
  }

  #prune(): void {
    const checkpoint = this.#o.projection.checkpoint;
    if (checkpoint === undefined) return;
    for (const [taskId, f] of this.#inFlight) {
      if (f.position !== undefined && comparePositions(checkpoint, f.position) >= 0) this.#inFlight.delete(taskId);
    }
    for (const [taskId, f] of this.#fresh) {
      if (comparePositions(checkpoint, f.position) >= 0) this.#fresh.delete(taskId);
    }
  }

  /** The head read from the read model with the tasks submitted here that it does not show yet, in queue order. */
  #withFresh(head: readonly QueuedTask[], now: Date): QueuedTask[] {
    if (this.#fresh.size === 0) return [...head];
    const shown = new Set(head.map((t) => t.taskId));
    const fresh = [...this.#fresh.values()].filter((t) => !shown.has(t.taskId));
    return orderQueue([...head, ...fresh], now, this.#o.policy ?? DEFAULT_QUEUE_POLICY);
  }

  #ids(kind: InFlight['kind']): string[] {
    return [...this.#inFlight].filter(([, f]) => f.kind === kind).map(([taskId]) => taskId);
  }

  #count(kind: InFlight['kind']): number {
    let n = 0;
    for (const f of this.#inFlight.values()) if (f.kind === kind) n++;
    return n;
  }

  /** The store's task differs from the read model's (another writer, or a no-op): skip it until the read model shows its last event. */
  async #skipUntilShown(taskId: string): Promise<void> {
    const { streamId, revision } = await this.#o.handler.load(taskId);
    if (revision < 0) return;
    const [last] = await this.#o.store.readStream(streamId, { fromRevision: revision });
    const checkpoint = this.#o.projection.checkpoint;
    if (last && (checkpoint === undefined || comparePositions(checkpoint, last.position) < 0)) {
      this.#inFlight.set(taskId, { kind: 'stale', position: last.position });
    }
  }

  /**
   * Agents' loads as the read model will show them once it has applied what this dispatcher did:
   * the tasks the view shows held, less those whose agent reported their end here, plus the
   * assignments made here (reservations included) that it does not show yet.
   */
  #loads(view: AgentsView): AgentCandidate[] {
    const load = new Map<string, number>();
    for (const [taskId, agentId] of view.holder) {
      if (this.#inFlight.get(taskId)?.kind !== 'finished') load.set(agentId, (load.get(agentId) ?? 0) + 1);
    }
    const lastAt = new Map<string, string>();
    for (const [taskId, f] of this.#inFlight) {
      if (f.kind !== 'assigned' || f.agentId === undefined || f.at === undefined) continue;
      if (view.holder.get(taskId) !== f.agentId) load.set(f.agentId, (load.get(f.agentId) ?? 0) + 1);
      const at = lastAt.get(f.agentId);
      if (at === undefined || at < f.at) lastAt.set(f.agentId, f.at);
    }
    return view.agents.map(({ held: _held, ...a }) => {
      const at = lastAt.get(a.agentId);
      const lastAssignedAt = at !== undefined && (a.lastAssignedAt === null || Date.parse(a.lastAssignedAt) < Date.parse(at)) ? at : a.lastAssignedAt;
      return { ...a, load: load.get(a.agentId) ?? 0, lastAssignedAt };
    });
  }
}

/** The view of agents read at `at` (clock ms). */
export function viewOf(agents: readonly AgentSnapshot[], at: number): AgentsView {
  const holder = new Map<string, string>();
  for (const a of agents) for (const taskId of a.held) holder.set(taskId, a.agentId);
  return { agents, holder, at };
}

/** The view after the read model applied `events`; null when a task event of a type it does not know may have changed a hold. */
export function withApplied(view: AgentsView, events: readonly Pick<RecordedEvent, 'type' | 'streamId' | 'data'>[]): AgentsView | null {
  for (const e of events) {
    if (!e.streamId.startsWith('task-') || KEEPS_HOLD.has(e.type)) continue;
    const d = e.data as { taskId?: unknown; agentId?: unknown };
    if (typeof d.taskId !== 'string') return null;
    if (e.type === 'TaskAssigned' && typeof d.agentId === 'string') view.holder.set(d.taskId, d.agentId);
    else if (ENDS_HOLD.has(e.type)) view.holder.delete(d.taskId);
    else return null;
  }
  return view;
}
