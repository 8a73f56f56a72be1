import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import {
  AGENT_INBOX_STREAM,
  AGENT_INBOX_SUBJECTS,
  agentInboxConsumer,
  BatonError,
  comparePositions,
  Subjects,
  taskStreamId,
  type AgentInboxAssignment,
  type EventMetadata,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '@baton/contracts';
import type { EventStore, Subscription, SubscriptionFeed } from '@baton/event-store';
import { publishTraced, sendTraced, streamReplicasFromEnv, type CheckpointStore, type JetStreamPublish, type MessagingLogger } from '@baton/messaging';
import { BatonAttributes } from '@baton/telemetry';
import { assignmentOf } from '../app/task.service';
import { fold, toTaskEvent } from '../domain';
import { DEFAULT_DIRECT_CONFIRM_MS } from '../config';
import type { AssignmentWaiters } from './assignment-waiters';

/**
 * Creates (or updates) the JetStream stream of agent inboxes, `BATON_AGENT_INBOX` on
 * `baton.agent.*.inbox`: file storage, kept for `maxAgeMs`, de-duplicated by `Nats-Msg-Id`
 * (the TaskAssigned event id), with `BATON_STREAM_REPLICAS` replicas unless `options.replicas`
 * says otherwise. Idempotent.
 */
export async function ensureAgentInboxStream(jsm: JetStreamManager, options: { maxAgeMs?: number; replicas?: number } = {}): Promise<void> {
  const config = {
    name: AGENT_INBOX_STREAM,
    subjects: [AGENT_INBOX_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(120_000),
    max_age: nanos(options.maxAgeMs ?? 7 * 24 * 3600 * 1000),
    num_replicas: options.replicas ?? streamReplicasFromEnv(process.env),
  };
  const exists = await jsm.streams.info(AGENT_INBOX_STREAM).then(
    () => true,
    (err: unknown) => {
      if ((err as { name?: string }).name === 'StreamNotFoundError') return false;
      throw err;
    },
  );
  if (!exists) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (err) {
      if (!/already in use/i.test((err as Error).message)) throw err;
    }
  }
  const { name, storage: _s, retention: _r, ...mutable } = config;
  await jsm.streams.update(name, mutable);
}

/** The inbox message of a TaskAssigned event, from the task's stream up to that event. */
export function inboxAssignmentOf(assigned: RecordedEvent, history: readonly RecordedEvent[]): AgentInboxAssignment {
  const state = fold(history.filter((e) => e.revision <= assigned.revision).map(toTaskEvent));
  if (!state.exists || toTaskEvent(assigned).type !== 'TaskAssigned') {
    throw new BatonError('INTERNAL', `event ${assigned.eventId} is not a TaskAssigned of an existing task`);
  }
  return assignmentOf(state, state.taskId);
}

/** Whether the lease the TaskAssigned at `revision` gave has ended in `history` (see LEASE_ENDED). */
function leaseEndedAfter(history: readonly RecordedEvent[], revision: number): boolean {
  return history.some((e) => e.revision > revision && LEASE_ENDED.has(e.type));
}

/** Assignments whose TaskAssigned was not delivered yet, kept at most this many (oldest dropped). */
const PREPARED_MAX = 10_000;

/**
 * Inbox messages of assignments made in this process, handed over by the dispatcher from the
 * state its append produced, so delivering them re-reads nothing from the store. Keyed by task
 * and lease epoch, which name one TaskAssigned (epochs only grow). One missing (another
 * replica, a restart, a claim) costs one stream read.
 */
export class PreparedAssignments {
  readonly #byLease = new Map<string, AgentInboxAssignment>();

  add(assignment: AgentInboxAssignment): void {
    this.#byLease.set(`${assignment.taskId}:${assignment.leaseEpoch}`, assignment);
    if (this.#byLease.size > PREPARED_MAX) this.#byLease.delete(this.#byLease.keys().next().value as string);
  }

  take(taskId: string, leaseEpoch: number): AgentInboxAssignment | undefined {
    const key = `${taskId}:${leaseEpoch}`;
    const a = this.#byLease.get(key);
    this.#byLease.delete(key);
    return a;
  }

  clear(): void {
    this.#byLease.clear();
  }
}

export interface AgentInboxPublisherOptions {
  /** Checkpoint name, e.g. `scheduler-agent-inbox`. */
  readonly name: string;
  readonly store: EventStore;
  /** Where the publisher subscribes: default `store`; the scheduler's shared feed reads the store once for all its subscribers. */
  readonly feed?: SubscriptionFeed;
  readonly js: JetStreamPublish;
  readonly checkpoints: CheckpointStore;
  readonly logger: MessagingLogger;
  /** Assignments handed over by this process's dispatcher; those found here are not re-read. */
  readonly prepared?: PreparedAssignments;
  /** Back-off between publish retries while NATS is unavailable. Default 100–5000 ms. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Acknowledged progress is saved at most this often (and always on stop). Default 250 ms. */
  readonly checkpointIntervalMs?: number;
  /**
   * Agents waiting for their next assignment (`await-assignment`): an assignment is their reply
   * when one waits, and is published to the inbox too only if its lease has not ended within
   * `directConfirmMs` (see Hold).
   */
  readonly waiters?: AssignmentWaiters;
  /** How long the lease of an assignment handed to a waiting agent may go on before the assignment is published to the inbox too. Default 10000 ms. */
  readonly directConfirmMs?: number;
}


const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Assignments published ahead and not yet brought by the feed, past which {@link AgentInboxPublisher.publishNow} leaves delivery to the feed. */
const EAGER_MAX_IN_FLIGHT = 4;

/** Event ids of delivered assignments remembered, so one the feed brought first is not published ahead too. */
const DELIVERED_REMEMBERED = 4096;

/** Publishes awaiting their PubAck at once: each publish is sent without waiting for the one before. */
const PUBLISH_WINDOW = 64;

/** A publish in flight, in the store's order. */
interface Pending {
  readonly position: Position;
  done: boolean;
  result: Promise<void>;
}

/** How an assignment went out: as a waiting agent's reply, or to its JetStream inbox. */
type Sent = 'direct' | 'inbox';

/**
 * An assignment handed to a waiting agent whose lease has not ended yet: until it ends (the
 * task completed, failed, released, cancelled or assigned again: what an inbox message's ack
 * waits for) the saved checkpoint stays before it, so a restart publishes it to the inbox; after
 * `directConfirmMs` it is published there now (then the inbox's ack and redelivery take over, so
 * an agent that dies mid-task gets it again when it comes back, as with the inbox alone).
 */
interface Hold {
  readonly event: RecordedEvent;
  readonly assignment: AgentInboxAssignment;
  readonly agentId: string;
  /** The position of the event the feed brought before it: resuming from there brings it again. */
  readonly before: Position | undefined;
  readonly at: number;
  publishing: boolean;
}

const DIRECT_SENT = Promise.resolve<Sent | false>('direct');

/** Task events that end a lease: a held assignment is then delivered for good. */
const LEASE_ENDED = new Set(['TaskCompleted', 'TaskFailed', 'TaskReleased', 'TaskCancelled', 'TaskAssigned']);

/**
 * Delivers every committed `TaskAssigned` to its agent: as the reply of the agent's waiting
 * `await-assignment` when one waits ({@link AgentInboxPublisherOptions.waiters}), otherwise to
 * `baton.agent.<agentId>.inbox` as a plain-JSON
 * {@link AgentInboxAssignment}, from the store and never as a dual write: like the event relay
 * it follows the store from its own checkpoint (TaskAssigned events only) and publishes with
 * `msgID = eventId`, in a PRODUCER span under the TaskAssigned's stored trace (the task's), whose
 * context the message carries to the agent. Up to {@link PUBLISH_WINDOW} publishes await their PubAck at once; the
 * checkpoint moves to the end of the acknowledged prefix only, saved at most every
 * `checkpointIntervalMs` (so a burst, or a stretch of idle assignments, costs one save, not one
 * per assignment) and on stop. After a crash it republishes what was sent after the
 * saved checkpoint; JetStream drops those repeats by msgID (within the stream's duplicate
 * window), and an agent that still sees one gets an idempotent report. Run one per name at a
 * time (under the lease).
 */
export class AgentInboxPublisher {
  private subscription: Subscription | undefined;
  private stopping = false;
  private published = 0;
  /** The saved checkpoint. */
  private lastPosition: Position | undefined;
  /** End of the acknowledged prefix (saved or about to be). */
  private acked: Position | undefined;
  private readonly pending: Pending[] = [];
  /** Entries of {@link pending} still publishing (the others are events passed over, kept for the order). */
  private publishing = 0;
  private saving: Promise<void> | undefined;
  /** The save planned for the end of the current interval, if any. */
  private saveTimer: NodeJS.Timeout | undefined;
  /** Deliveries started by {@link publishNow}, by event id, until the feed delivers their event: how it went once done, false if it failed. */
  private readonly eager = new Map<string, { readonly attempt: Promise<Sent | false>; readonly at: number; readonly direct?: AgentInboxAssignment }>();
  /** Assignments handed to waiting agents, by task stream, oldest first (see {@link Hold}). */
  private readonly holds = new Map<string, Hold>();
  private holdTimer: NodeJS.Timeout | undefined;
  /** Position of the last event the feed brought. */
  private lastSeen: Position | undefined;
  private direct = 0;
  /** Event ids the feed delivered lately: an assignment whose event the feed brought first is not published ahead again. */
  private readonly delivered = new Set<string>();

  constructor(private readonly o: AgentInboxPublisherOptions) {}

  get stats(): { published: number; direct: number; held: number; lastPosition: Position | undefined; running: boolean } {
    return { published: this.published, direct: this.direct, held: this.holds.size, lastPosition: this.lastPosition, running: this.subscription !== undefined };
  }

  async start(): Promise<void> {
    if (this.subscription) return;
    this.stopping = false;
    this.lastPosition = await this.o.checkpoints.load(this.o.name);
    this.acked = this.lastPosition;
    this.lastSeen = this.acked;
    this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const sub = this.subscription;
    this.subscription = undefined;
    await sub?.stop();
    await Promise.allSettled(this.pending.map((p) => p.result));
    this.pending.length = 0;
    this.publishing = 0;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.eager.clear();
    this.delivered.clear();
    await this.saving;
    // The holds keep the saved checkpoint before them: the next holder publishes them to the inbox.
    if (this.unsaved() !== undefined) await (this.saving = this.saveAcked());
    this.holds.clear();
  }

  private subscribe(): void {
    this.subscription = (this.o.feed ?? this.o.store).subscribe({
      // From what was acknowledged: a repeat of a publish still in flight is dropped by msgID.
      from: this.acked ?? 'start',
      // Every task event: a TaskAssigned is delivered, an event that ends a held assignment's lease lets it go.
      filter: { categories: ['task'] },
      onEvent: (e) => this.deliver(e),
      onError: (err) => {
        if (this.stopping) return;
        this.o.logger.error(`inbox publisher subscription failed: ${(err as Error).message}; resubscribing`);
        const t = setTimeout(() => {
          if (this.stopping) return;
          this.lastSeen = this.acked;
          this.subscribe();
        }, this.o.retryMaxMs ?? 5000);
        t.unref();
      },
    });
  }

  /**
   * Publishes an assignment made in this process as soon as its append has committed, ahead of
   * the store's feed (which reaches it after a NOTIFY and a read). One attempt: when the feed
   * delivers the same event it waits for this publish instead of publishing again, and publishes
   * itself only if this one failed. Ignored unless running.
   */
  publishNow(assignment: AgentInboxAssignment, agentId: string, event: Pick<NewEvent, 'eventId' | 'metadata'>): void {
    const { eventId } = event;
    if (eventId === undefined || this.subscription === undefined || this.stopping || !SUBJECT_TOKEN.test(agentId)) return;
    if (this.delivered.has(eventId)) return;
    if (this.offer(assignment, agentId, eventId, event.metadata)) {
      this.eager.set(eventId, { attempt: DIRECT_SENT, direct: assignment, at: Date.now() });
      return;
    }
    // Under load the feed's pages publish many assignments in one socket write, which costs NATS
    // less than one write each: publishing ahead pays while few are on their way.
    if (this.eager.size >= EAGER_MAX_IN_FLIGHT) return;
    if (this.eager.size >= PREPARED_MAX) this.forgetStaleEager();
    if (this.eager.size >= PREPARED_MAX) return;
    const attempt = this.send(assignment, agentId, eventId, event.metadata).then(
      (): Sent => 'inbox',
      () => false as const,
    );
    this.eager.set(eventId, { attempt, at: Date.now() });
  }

  /** Drops eager publishes the feed has not matched within a minute (it delivered their event first: a repeat was dropped by msgID). */
  private forgetStaleEager(): void {
    const before = Date.now() - 60_000;
    for (const [id, e] of this.eager) {
      if (e.at >= before) break;
      this.eager.delete(id);
    }
  }

  /** Starts the publish and returns at once unless the window is full (then waits for the oldest). */
  private async deliver(event: RecordedEvent): Promise<void> {
    const before = this.lastSeen;
    this.lastSeen = event.position;
    // The lease of an assignment handed to a waiting agent ended: the agent worked it, or the task moved on.
    if (LEASE_ENDED.has(event.type) && this.holds.delete(event.streamId)) this.checkpointAcked();
    if (event.type !== 'TaskAssigned') {
      this.passOver(event.position);
      return;
    }
    const entry: Pending = { position: event.position, done: false, result: Promise.resolve() };
    const eager = this.eager.get(event.eventId);
    this.eager.delete(event.eventId);
    this.delivered.add(event.eventId);
    if (this.delivered.size > DELIVERED_REMEMBERED) this.delivered.delete(this.delivered.values().next().value as string);
    if (eager) {
      const data = event.data as { taskId: string; leaseEpoch: number };
      this.o.prepared?.take(data.taskId, data.leaseEpoch);
      if (eager.direct) {
        this.hold(event, eager.direct, before);
        this.passOver(event.position);
        return;
      }
    }
    const publishing = eager ? eager.attempt.then((how) => (how === 'inbox' ? undefined : this.publish(event, before))) : this.publish(event, before);
    this.publishing++;
    entry.result = publishing.then(
      () => {
        this.publishing--;
        entry.done = true;
        this.checkpointAcked();
      },
      (err: unknown) => {
        this.publishing--;
        throw err;
      },
    );
    // Rejected only while stopping; stop() and the window wait observe it.
    entry.result.catch(() => undefined);
    this.pending.push(entry);
    // The head of `pending` is always an entry still publishing (done ones are shifted off it).
    const oldest = this.pending[0];
    if (this.publishing >= PUBLISH_WINDOW && oldest) await oldest.result;
  }

  /** An event that needs no publish: the acknowledged prefix may move past it. */
  private passOver(position: Position): void {
    if (this.pending.length === 0) this.acked = position;
    else this.pending.push({ position, done: true, result: Promise.resolve() });
    this.checkpointAcked();
  }

  /**
   * Delivers one TaskAssigned the feed brought: to the agent's waiting request if one waits (then
   * held, see {@link Hold}), else to its inbox. An assignment whose lease has ended since (read
   * after a restart: the task completed, or moved on) is not delivered again.
   */
  private async publish(event: RecordedEvent, before: Position | undefined): Promise<void> {
    const data = event.data as { taskId: string; agentId: string; leaseEpoch: number };
    let assignment = this.o.prepared?.take(data.taskId, data.leaseEpoch);
    if (!SUBJECT_TOKEN.test(data.agentId)) {
      // `baton.agent.<id>.inbox` needs the id to be one subject token; such an agent can still claim.
      this.o.logger.error(`agent id "${data.agentId}" cannot be a subject token; assignment ${event.eventId} is not delivered to an inbox`);
      return;
    }
    if (!assignment) {
      const history = await this.o.store.readStream(taskStreamId(data.taskId));
      if (leaseEndedAfter(history, event.revision)) return;
      assignment = inboxAssignmentOf(event, history);
    }
    if (this.offer(assignment, data.agentId, event.eventId, event.metadata)) {
      this.hold(event, assignment, before);
      return;
    }
    await this.sendUntilAcked(assignment, data.agentId, event);
  }

  /** Publishes to the agent's inbox, retrying while NATS is unavailable, until acknowledged (or stopping). */
  private async sendUntilAcked(assignment: AgentInboxAssignment, agentId: string, event: RecordedEvent): Promise<void> {
    let delay = this.o.retryMinMs ?? 100;
    for (;;) {
      if (this.stopping) throw new BatonError('UNAVAILABLE', 'inbox publisher is stopping', undefined, true);
      try {
        await this.send(assignment, agentId, event.eventId, event.metadata);
        return;
      } catch (err) {
        this.o.logger.warn(`publishing assignment ${event.eventId} to ${agentId} failed: ${(err as Error).message}; retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.o.retryMaxMs ?? 5000);
      }
    }
  }

  private hold(event: RecordedEvent, assignment: AgentInboxAssignment, before: Position | undefined): void {
    const agentId = (event.data as { agentId: string }).agentId;
    this.holds.delete(event.streamId);
    this.holds.set(event.streamId, { event, assignment, agentId, before, at: Date.now(), publishing: false });
    this.scheduleHoldCheck();
  }

  private scheduleHoldCheck(): void {
    if (this.holdTimer !== undefined || this.stopping || this.holds.size === 0) return;
    const confirmMs = this.o.directConfirmMs ?? DEFAULT_DIRECT_CONFIRM_MS;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.publishUnconfirmed(confirmMs);
      this.scheduleHoldCheck();
    }, Math.max(50, Math.floor(confirmMs / 4)));
    this.holdTimer.unref();
  }

  /** Publishes to the inbox the held assignments older than `confirmMs` whose lease has not ended. */
  private publishUnconfirmed(confirmMs: number): void {
    const due = Date.now() - confirmMs;
    for (const [streamId, h] of this.holds) {
      if (h.at > due) break;
      if (h.publishing) continue;
      h.publishing = true;
      void (async () => {
        const history = await this.o.store.readStream(streamId);
        if (!leaseEndedAfter(history, h.event.revision)) {
          this.o.logger.log(`assignment ${h.event.eventId} handed to waiting agent ${h.agentId} not ended in ${confirmMs} ms; publishing it to the inbox too`);
          await this.sendUntilAcked(h.assignment, h.agentId, h.event);
        }
        if (this.holds.get(streamId) === h) this.holds.delete(streamId);
        this.checkpointAcked();
      })().catch((err: unknown) => {
        h.publishing = false;
        if (!this.stopping) this.o.logger.warn(`publishing held assignment ${h.event.eventId} failed: ${(err as Error).message}; trying again`);
      });
    }
  }

  /** Hands the assignment to a waiting request of its agent, if one waits, in the same PRODUCER span as an inbox publish (the agent's span is its child). */
  private offer(assignment: AgentInboxAssignment, agentId: string, eventId: string, trace: EventMetadata): boolean {
    const waiters = this.o.waiters;
    if (!waiters?.has(agentId)) return false;
    // sendTraced calls its function before it returns: the offer is made (or not) by the next line.
    let offered = false;
    void sendTraced(
      Subjects.agentInbox(agentId),
      { msgID: eventId, trace, destinationTemplate: AGENT_INBOX_SUBJECTS, attributes: () => ({ [BatonAttributes.taskId]: assignment.taskId, [BatonAttributes.agentId]: agentId }) },
      (carried) => (offered = waiters.offer(agentId, assignment, carried)),
    );
    if (offered) this.direct++;
    return offered;
  }

  /** One publish of an assignment to its agent's inbox, de-duplicated by the TaskAssigned's event id, under the task's stored trace. */
  private async send(assignment: AgentInboxAssignment, agentId: string, eventId: string, trace: EventMetadata): Promise<void> {
    await publishTraced(this.o.js, Subjects.agentInbox(agentId), JSON.stringify(assignment), {
      msgID: eventId,
      timeout: 5000,
      trace,
      destinationTemplate: AGENT_INBOX_SUBJECTS,
      attributes: () => ({ [BatonAttributes.taskId]: assignment.taskId, [BatonAttributes.agentId]: agentId }),
    });
    this.published++;
  }

  /** Moves the acknowledged prefix on; a save at the end of the interval covers it (one save in flight). */
  private checkpointAcked(): void {
    let head = this.pending[0];
    while (head?.done) {
      this.acked = head.position;
      this.pending.shift();
      head = this.pending[0];
    }
    if (this.saveTimer !== undefined || this.stopping || this.unsaved() === undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      if (this.saving === undefined && this.unsaved() !== undefined) this.saving = this.saveAcked();
      else if (this.unsaved() !== undefined) this.checkpointAcked();
    }, this.o.checkpointIntervalMs ?? 250);
    this.saveTimer.unref();
  }

  private unsaved(): Position | undefined {
    let to = this.acked;
    // The oldest held assignment keeps the checkpoint before it.
    const oldest = this.holds.values().next().value as Hold | undefined;
    if (oldest !== undefined) {
      if (oldest.before === undefined) return undefined;
      if (to === undefined || comparePositions(oldest.before, to) < 0) to = oldest.before;
    }
    return to !== undefined && (this.lastPosition === undefined || comparePositions(to, this.lastPosition) > 0) ? to : undefined;
  }

  /** Called only with something unsaved, so it awaits before its `finally` clears `saving`. */
  private async saveAcked(): Promise<void> {
    try {
      for (let to = this.unsaved(); to !== undefined; to = this.unsaved()) {
        await this.o.checkpoints.save(this.o.name, to);
        this.lastPosition = to;
      }
    } catch (err) {
      // The next acknowledgement saves again; until then a restart republishes a little more (dropped by msgID).
      this.o.logger.warn(`saving the inbox publisher's checkpoint failed: ${(err as Error).message}`);
    } finally {
      this.saving = undefined;
    }
  }
}

/**
 * Creates or updates an agent's durable inbox consumer (`open-inbox`): explicit ack, every
 * assignment still in the stream, filtered to the agent's own inbox subject. The scheduler does
 * this with its own credentials, so agents need no JetStream management rights.
 */
export async function openAgentInbox(jsm: JetStreamManager, agentId: string, options: { ackWaitMs: number; maxAckPending: number }): Promise<{ stream: string; consumer: string; filterSubject: string }> {
  const consumer = agentInboxConsumer(agentId);
  const filterSubject = Subjects.agentInbox(agentId);
  const ackWait = nanos(options.ackWaitMs);
  const exists = await jsm.consumers.info(AGENT_INBOX_STREAM, consumer).then(
    () => true,
    (err: unknown) => {
      if ((err as { name?: string }).name === 'ConsumerNotFoundError' || /consumer not found/i.test((err as Error).message)) return false;
      throw err;
    },
  );
  if (!exists) {
    try {
      await jsm.consumers.add(AGENT_INBOX_STREAM, {
        durable_name: consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: filterSubject,
        ack_wait: ackWait,
        max_ack_pending: options.maxAckPending,
      });
      return { stream: AGENT_INBOX_STREAM, consumer, filterSubject };
    } catch (err) {
      if (!/already (exists|in use)/i.test((err as Error).message)) throw err;
    }
  }
  await jsm.consumers.update(AGENT_INBOX_STREAM, consumer, { ack_wait: ackWait, max_ack_pending: options.maxAckPending });
  return { stream: AGENT_INBOX_STREAM, consumer, filterSubject };
}
