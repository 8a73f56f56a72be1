import { comparePositions, errorCodeOf, type AgentInboxAssignment, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import type { MessagingLogger } from '@baton/messaging';
import type { ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import { serviceContext, type Clock, type IdSource } from '@baton/aggregate';
import type { EventStore } from '@baton/event-store';
import type { TaskRunner } from '../app/runners';
import { assignmentOf, type SubmittedTask } from '../app/task.service';
import { DEFAULT_QUEUE_POLICY, orderQueue, planAssignments, type AgentCandidate, type QueuePolicy } from '../domain';
import { readConstraints } from '../domain/conflict';
import type { ConflictGuard } from './conflict.guard';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { agentCandidates, queueHead, tasksHeldByUnavailableAgents, type QueuedTask } from '../read-model/task.queries';

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

/** Assignments not yet shown by the read model, in batches, above which a pass assigns nothing more. */
const MAX_IN_FLIGHT_BATCHES = 4;

/** Task events after which no pass can do more than before: the task stays with its agent. */
const NEVER_FREES: ReadonlySet<string> = new Set(['TaskAccepted', 'TaskProgressReported']);

/** Task events that only free a slot or settle a task another may depend on: worth a pass only when tasks wait. */
const FREES_WHEN_WAITING: ReadonlySet<string> = new Set(['TaskCompleted', 'TaskCancelled']);

/** What the last pass left (see `Dispatcher`): tasks it did not assign, or a stop for the read model. */
export interface PassLeft {
  readonly waiting: boolean;
  readonly gated: boolean;
}

/**
 * Whether the read model's applying `events` may let a pass do what the last one (which left
 * `left`) could not; `planned` tells the tasks created here that a pass already planned from
 * memory. See {@link Dispatcher.shown}.
 */
export function passMayDoMore(events: readonly Pick<RecordedEvent, 'type' | 'streamId' | 'data'>[], left: PassLeft, planned: (taskId: string) => boolean): boolean {
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
    if (FREES_WHEN_WAITING.has(e.type) || !e.streamId.startsWith('task-')) {
      // Completions, cancellations, and conflict events (holds that start or end).
      if (left.waiting || left.gated) return true;
      continue;
    }
    return true;
  }
  return false;
}

/** A task this process changed whose event the tasks read model has not applied yet. */
interface InFlight {
  /** `assigned`: assigned by us (the read model still shows it queued and not in the agent's load);
   *  `released`: released by us (still shown held); `stale`: the store had moved on when we tried;
   *  `finished`: completed or failed by its agent (the read model may still show it held: not counted in its load). */
  readonly kind: 'assigned' | 'released' | 'stale' | 'finished';
  readonly agentId?: string;
  readonly at?: string;
  /** The read model reflects the change once its checkpoint is at or past this. */
  readonly position: Position;
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
export class Dispatcher {
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

  constructor(options: DispatcherOptions) {
    this.#o = options;
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
    this.#inFlight.set(taskId, { kind: 'finished', position });
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
    const more = passMayDoMore(events, this.#left, (taskId) => this.#fresh.has(taskId));
    if (more) this.changed();
    return more;
  }

  /**
   * The queue or the agents may have changed in a way only the read model shows: an agent came,
   * went or changed, a timer made a task due, the read model applied an event that may let a
   * pass do more. The next pass reads the queue head and the tasks held by unavailable agents
   * again; until then, and at most for a second, a pass woken by a submit here plans the fresh
   * tasks against the agents alone (one query, not three).
   */
  changed(): void {
    this.#changes++;
    this.#headKnown = false;
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
  }

  async pass(): Promise<number | void> {
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
    const [heldByUnavailable, dbHead, candidates] = await Promise.all([
      light ? [] : tasksHeldByUnavailableAgents(o.db, o.batchSize + releasing),
      light ? [] : queueHead(o.db, now, headLimit),
      agentCandidates(o.db, { notCounting: this.#ids('finished') }),
    ]);
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
      return;
    }

    const head = this.#withFresh(dbHead, now);
    const waiting = head.filter((t) => !this.#inFlight.has(t.taskId));
    // Tasks with a conflict (dependency not completed, work item taken, files in use) are held back.
    // Those submitted here declare none (see `submitted`), so at idle the check costs no query.
    const fromReadModel = waiting.filter((t) => !this.#fresh.has(t.taskId));
    const admitted = o.conflicts && fromReadModel.length > 0 ? await o.conflicts.admit(fromReadModel, this.#ids('assigned')) : undefined;
    const admittedIds = admitted && new Set(admitted.queue.map((t) => t.taskId));
    const queue = (admittedIds ? waiting.filter((t) => this.#fresh.has(t.taskId) || admittedIds.has(t.taskId)) : waiting).slice(0, o.batchSize);
    // A head read to its limit may have more behind it.
    const headFull = dbHead.length >= headLimit;
    this.#left = { waiting: waiting.length > 0 || headFull, gated: false };
    this.#headKnown = !this.#left.waiting && this.#changes === changes;
    if (queue.length === 0) return;
    const plan = planAssignments(queue, this.#withInFlightLoads(candidates), now);
    // The plan's appends go out together (each on its own stream, at its expected revision):
    // the store commits them in shared statements (group commit) instead of one after another.
    let assigned = 0;
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
              assigned++;
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
    this.#left = { waiting: headFull || waiting.length > assigned, gated: false };
    this.#headKnown = !this.#left.waiting && this.#changes === changes;
    // Another pass at once only when it may assign more (a queue longer than a batch drains).
    return assigned > 0 && this.#left.waiting ? 0 : undefined;
  }

  /** Drops what the read model now shows: its checkpoint is at or past the event. */
  #prune(): void {
    const checkpoint = this.#o.projection.checkpoint;
    if (checkpoint === undefined) return;
    for (const [taskId, f] of this.#inFlight) {
      if (comparePositions(checkpoint, f.position) >= 0) this.#inFlight.delete(taskId);
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

  /** Agents' loads as the read model will show them once it has applied our assignments. */
  #withInFlightLoads(agents: readonly AgentCandidate[]): AgentCandidate[] {
    const extra = new Map<string, { n: number; at: string }>();
    for (const f of this.#inFlight.values()) {
      if (f.kind !== 'assigned' || f.agentId === undefined || f.at === undefined) continue;
      const e = extra.get(f.agentId);
      extra.set(f.agentId, { n: (e?.n ?? 0) + 1, at: e && e.at > f.at ? e.at : f.at });
    }
    if (extra.size === 0) return [...agents];
    return agents.map((a) => {
      const e = extra.get(a.agentId);
      if (!e) return a;
      const lastAssignedAt = a.lastAssignedAt === null || Date.parse(a.lastAssignedAt) < Date.parse(e.at) ? e.at : a.lastAssignedAt;
      return { ...a, load: a.load + e.n, lastAssignedAt };
    });
  }
}
