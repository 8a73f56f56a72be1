import { nanos } from '@nats-io/transport-node';
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import {
  AGENT_INBOX_STREAM,
  AGENT_INBOX_SUBJECTS,
  BatonError,
  Subjects,
  taskStreamId,
  type AgentInboxAssignment,
  type Position,
  type RecordedEvent,
} from '@baton/contracts';
import type { EventStore, Subscription } from '@baton/event-store';
import { streamReplicasFromEnv, type CheckpointStore, type MessagingLogger } from '@baton/messaging';
import { fold, toTaskEvent } from '../domain';

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
  const event = toTaskEvent(assigned);
  if (!state.exists || event.type !== 'TaskAssigned') {
    throw new BatonError('INTERNAL', `event ${assigned.eventId} is not a TaskAssigned of an existing task`);
  }
  return {
    kind: 'task.assigned',
    taskId: state.taskId,
    runId: state.runId,
    stageId: state.stageId,
    action: state.action,
    inputs: { ...state.inputs },
    priority: state.priority,
    leaseEpoch: event.data.leaseEpoch,
    attempt: state.attempt,
    assignedAt: event.data.assignedAt,
  };
}

export interface AgentInboxPublisherOptions {
  /** Checkpoint name, e.g. `scheduler-agent-inbox`. */
  readonly name: string;
  readonly store: EventStore;
  readonly js: JetStreamClient;
  readonly checkpoints: CheckpointStore;
  readonly logger: MessagingLogger;
  /** Back-off between publish retries while NATS is unavailable. Default 100–5000 ms. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Delivers every committed `TaskAssigned` to `baton.agent.<agentId>.inbox` as a plain-JSON
 * {@link AgentInboxAssignment}, from the store and never as a dual write: like the event relay
 * it follows the store from its own checkpoint (TaskAssigned events only), publishes with
 * `msgID = eventId`, waits for the PubAck, then saves the checkpoint. After a crash it
 * republishes at most the event in hand; JetStream drops the repeat by msgID, and an agent
 * that still sees one gets an idempotent accept. Run one per name at a time (under the lease).
 */
export class AgentInboxPublisher {
  private subscription: Subscription | undefined;
  private stopping = false;
  private published = 0;
  private lastPosition: Position | undefined;

  constructor(private readonly o: AgentInboxPublisherOptions) {}

  get stats(): { published: number; lastPosition: Position | undefined; running: boolean } {
    return { published: this.published, lastPosition: this.lastPosition, running: this.subscription !== undefined };
  }

  async start(): Promise<void> {
    if (this.subscription) return;
    this.stopping = false;
    this.lastPosition = await this.o.checkpoints.load(this.o.name);
    this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const sub = this.subscription;
    this.subscription = undefined;
    await sub?.stop();
  }

  private subscribe(): void {
    this.subscription = this.o.store.subscribe({
      from: this.lastPosition ?? 'start',
      filter: { categories: ['task'], eventTypes: ['TaskAssigned'] },
      onEvent: (e) => this.deliver(e),
      onError: (err) => {
        if (this.stopping) return;
        this.o.logger.error(`inbox publisher subscription failed: ${(err as Error).message}; resubscribing`);
        const t = setTimeout(() => {
          if (!this.stopping) this.subscribe();
        }, this.o.retryMaxMs ?? 5000);
        t.unref();
      },
    });
  }

  private async deliver(event: RecordedEvent): Promise<void> {
    const history = await this.o.store.readStream(taskStreamId((event.data as { taskId: string }).taskId), { maxCount: event.revision + 1 });
    const assignment = inboxAssignmentOf(event, history);
    const agentId = (event.data as { agentId: string }).agentId;
    if (!SUBJECT_TOKEN.test(agentId)) {
      // `baton.agent.<id>.inbox` needs the id to be one subject token; such an agent can still claim.
      this.o.logger.error(`agent id "${agentId}" cannot be a subject token; assignment ${event.eventId} is not delivered to an inbox`);
      await this.o.checkpoints.save(this.o.name, event.position);
      this.lastPosition = event.position;
      return;
    }
    let delay = this.o.retryMinMs ?? 100;
    for (;;) {
      if (this.stopping) throw new BatonError('UNAVAILABLE', 'inbox publisher is stopping', undefined, true);
      try {
        await this.o.js.publish(Subjects.agentInbox(agentId), JSON.stringify(assignment), { msgID: event.eventId, timeout: 5000 });
        break;
      } catch (err) {
        this.o.logger.warn(`publishing assignment ${event.eventId} to ${agentId} failed: ${(err as Error).message}; retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.o.retryMaxMs ?? 5000);
      }
    }
    await this.o.checkpoints.save(this.o.name, event.position);
    this.lastPosition = event.position;
    this.published++;
  }
}
