import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { context, SpanKind } from '@opentelemetry/api';
import { connect, credsAuthenticator, headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import {
  AGENT_INBOX_STREAM,
  AGENT_INBOX_SUBJECTS,
  AgentInboxAssignment,
  agentInboxConsumer,
  AwaitAssignment,
  BatonError,
  CompleteTask,
  decodeJson,
  errorCodeOf,
  FailTask,
  OpenInbox,
  RegisterAgent,
  ReportBlocked,
  ReportProgress,
  ReportUnblocked,
  Subjects,
  UpdateAgent,
  type AgentHeartbeat,
  type DataOf,
  type MessageDefinition,
  type RegisterAgentData,
  type ReplyOf,
} from '@baton/contracts';
import { stderrLogger, type AgentActivity, type AgentLogger, type AgentTask, type DistributiveOmit, type TaskActivity } from './activity';
import { ConcurrencyLimiter } from './concurrency';
import { failureOf, TaskFailure } from './errors';
import { artifactsOf, isHandoff, outputsOf, settlementOf, type HandoffResult, type TaskOutputs } from './outcome';
import { inAgentSpan, messageContext, startAgentTracing, type AgentTracing } from './tracing';
import { CommandClient, nextDelay, reportCommandId, sleep, type CommandClientOptions } from './wire';

/** An agent's profile as the registry keeps it (`register-agent` data without the id). */
export interface AgentProfile {
  readonly role: string;
  readonly name?: string;
  readonly capabilities?: readonly string[];
  readonly model?: string;
  /** Tasks worked at once; also the inbox handler's concurrency. Default 1. */
  readonly maxConcurrency?: number;
  readonly peers?: readonly string[];
  readonly lead?: string;
}

export interface BatonAgentOptions {
  /** The agent's id: the registry's key and the `<id>` of `baton.agent.<id>.*`. */
  readonly agentId: string;
  /** NATS server(s), used when no `connection` is given. Default `nats://127.0.0.1:4222`. */
  readonly servers?: string | readonly string[];
  /**
   * The agent's NATS credentials when it connects itself: path of its `.creds` file (from
   * `baton agents credentials <id>`), or the file's content. Default the `NATS_CREDS` variable;
   * neither: no credentials (a server with auth off). The connection's reply subjects are under `_INBOX.agent.<id>`, the only ones those
   * credentials may subscribe to.
   */
  readonly creds?: string | Uint8Array;
  /**
   * An open connection to use instead (not closed by {@link BatonAgent.stop}). With an agent's
   * credentials it must have been opened with `inboxPrefix: Subjects.agentReplies(agentId)`.
   */
  readonly connection?: NatsConnection;
  /** Heartbeat period. Keep it well under the registry's `HEARTBEAT_WINDOW_MS`. Default 5000 ms. */
  readonly heartbeatIntervalMs?: number;
  /**
   * Ack wait of the durable inbox consumer: an assignment not acknowledged for this long (the
   * agent died) is delivered again; a running handler keeps it alive. Default 10000 ms.
   */
  readonly inboxAckWaitMs?: number;
  /** How long `start` keeps asking the scheduler to open the inbox (it creates the stream and the agent's consumer). Default 30000 ms. */
  readonly inboxStreamWaitMs?: number;
  /**
   * While a slot is free, also wait on the scheduler for the next assignment (`await-assignment`,
   * a long poll): an assignment made while the request waits is its reply, one NATS message where
   * the inbox takes four (publish, its acknowledgement, the delivery, the ack). The inbox stays
   * the durable path (what arrives while no request waits, and an assignment whose task has not
   * ended within the scheduler's window). Default true.
   */
  readonly awaitAssignments?: boolean;
  /** How long one `await-assignment` may wait at the scheduler. Default 20000 ms. */
  readonly awaitWaitMs?: number;
  /** `await-assignment` requests waiting at once (while slots are free). Default the concurrency, at most 16. */
  readonly awaitParallel?: number;
  /** Time-outs and retries of commands. */
  readonly commands?: CommandClientOptions;
  readonly logger?: AgentLogger;
  /** Called for every {@link AgentActivity}; must not throw (what it throws is logged). */
  readonly onActivity?: (activity: AgentActivity) => void;
  /**
   * When the handoff-validator rejects a completion, the handler is called again with the task's
   * `inputs.rework` = `{ round, handoffId, failures }` (what to fix), at most this many times;
   * then the task is failed. Default 5.
   */
  readonly maxReworks?: number;
  /**
   * Start the OpenTelemetry SDK (traces only) when the standard `OTEL_*` variables turn tracing on
   * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_TRACES_EXPORTER`; `service.name` from
   * `OTEL_SERVICE_NAME`, default `baton-agent`). Default true; pass false when the process starts
   * its own SDK. Either way each assignment is a CONSUMER span `process baton.agent.*.inbox`, a
   * child of the scheduler's publish (the task's trace), with the handler in a span
   * `handle <action>` and every report a CLIENT span under it.
   */
  readonly tracing?: boolean;
}

/** What a handler can do while it works one task. Every report carries the task's lease epoch. */
export interface TaskContext {
  readonly agentId: string;
  readonly taskId: string;
  readonly leaseEpoch: number;
  readonly attempt: number;
  /** Aborted when the task is lost (STALE_LEASE) or {@link BatonAgent.stop} runs out of time. */
  readonly signal: AbortSignal;
  /** Reports progress (0–100), with an optional message and tokens used so far. */
  progress(percent: number, message?: string, tokensUsed?: number): Promise<void>;
  /** Reports the task blocked (waiting on something outside the agent). */
  blocked(reason: string): Promise<void>;
  /** Reports the task unblocked. */
  unblocked(): Promise<void>;
  readonly log: AgentLogger;
}

/**
 * Works one task: returns its outputs (completes it) or throws (fails it; see `TaskFailure` for
 * a code and `retryable`).
 */
export type TaskHandler = (task: AgentTask, ctx: TaskContext) => Promise<TaskOutputs | HandoffResult | void> | TaskOutputs | HandoffResult | void;

/** Default rework rounds after handoff rejections before the SDK fails the task. */
export const DEFAULT_MAX_REWORKS = 5;

/**
 * How an assignment arrived: a JetStream inbox message (acknowledged once its ending is
 * recorded, or given back), or the reply of an `await-assignment`, which the scheduler counts as
 * delivered once the lease ends (the completion or failure recorded), so there is nothing to ack;
 * one still running after the scheduler's window comes by the inbox too, and that copy is acked.
 */
type Delivery = Pick<JsMsg, 'ackAck' | 'nak' | 'working' | 'headers' | 'subject'>;

/** The delivery of an assignment that came as the reply of `await-assignment`, with the task's trace context. */
function awaitedDelivery(agentId: string, trace: { traceparent?: string | undefined; tracestate?: string | undefined }): Delivery {
  let headers: MsgHdrs | undefined;
  if (trace.traceparent) {
    headers = natsHeaders();
    headers.set('traceparent', trace.traceparent);
    if (trace.tracestate) headers.set('tracestate', trace.tracestate);
  }
  return { subject: Subjects.agentInbox(agentId), headers, ackAck: () => Promise.resolve(true), nak: () => undefined, working: () => undefined };
}

/** Assignments finished lately, remembered so a late second delivery of one (the inbox's copy) is dropped. */
const RECENTLY_DONE = 1024;

interface InFlight {
  msg: Delivery;
  readonly task: AgentTask;
  readonly abort: AbortController;
  abortedBy?: 'lost' | 'stop';
  /** The refusal of a report (STALE_LEASE …) when one ended the handling. */
  reportError?: unknown;
  /** The handling ended with an ack (done, failed, lost or dropped); one given back (nak) is worked again when it returns. */
  acked?: boolean;
}

const KEEPALIVE_FRACTION = 3;

function nonBlank(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * An agent on Baton: registers its profile, heartbeats, and works the tasks the scheduler pushes
 * to its durable inbox, with at most `maxConcurrency` at a time. See the package's index for a
 * complete example.
 */
export class BatonAgent {
  private readonly client: CommandClient;
  private readonly logger: AgentLogger;
  private readonly inFlight = new Map<string, InFlight>();
  private profile: AgentProfile | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private limiter: ConcurrencyLimiter | undefined;
  private readonly recentlyDone = new Set<string>();
  private running = false;
  private stopping = false;
  private readonly tracing: AgentTracing | undefined;

  private constructor(
    readonly nc: NatsConnection,
    private readonly ownsConnection: boolean,
    private readonly options: BatonAgentOptions,
  ) {
    this.client = new CommandClient(nc, { ...options.commands, asAgent: options.agentId });
    this.logger = options.logger ?? stderrLogger(options.agentId);
    this.tracing = options.tracing === false ? undefined : startAgentTracing();
  }

  /**
   * Connects (or takes `options.connection`). Nothing is sent yet: call {@link register}, then
   * {@link start}.
   */
  static async connect(options: BatonAgentOptions): Promise<BatonAgent> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(options.agentId)) {
      throw new BatonError('VALIDATION_FAILED', `agent id "${options.agentId}" must be one NATS subject token: letters, digits, dash or underscore`);
    }
    if (options.connection) return new BatonAgent(options.connection, false, options);
    const servers = options.servers ?? 'nats://127.0.0.1:4222';
    try {
      const given = options.creds ?? nonBlank(process.env['NATS_CREDS']);
      const creds = typeof given === 'string' ? readFileSync(given) : given;
      const nc = await connect({
        servers: typeof servers === 'string' ? servers : [...servers],
        name: `baton-agent-${options.agentId}`,
        inboxPrefix: Subjects.agentReplies(options.agentId),
        ...(creds === undefined ? {} : { authenticator: credsAuthenticator(creds) }),
        // Otherwise every request builds an Error up front to keep the caller's async stack (as the services' connections, see connectNats).
        noAsyncTraces: true,
      });
      return new BatonAgent(nc, true, options);
    } catch (err) {
      throw new BatonError('UNAVAILABLE', `cannot connect to NATS at ${String(servers)}: ${(err as Error).message}`, undefined, true, { cause: err });
    }
  }

  get agentId(): string {
    return this.options.agentId;
  }

  /** Tasks being worked now (the ids sent in heartbeats). */
  get activeTasks(): readonly string[] {
    return [...new Set([...this.inFlight.values()].map((f) => f.task.taskId))];
  }

  /**
   * Registers the agent with the agent-registry, idempotently: a new agent is registered, an
   * existing one gets its profile updated (nothing is appended when it is unchanged).
   * Resolves with `created: false` for an agent that existed.
   */
  async register(profile: AgentProfile): Promise<{ agentId: string; revision: number; created: boolean }> {
    const data: RegisterAgentData = {
      agentId: this.agentId,
      role: profile.role,
      capabilities: [...(profile.capabilities ?? [])],
      maxConcurrency: profile.maxConcurrency ?? 1,
      peers: [...(profile.peers ?? [])],
      ...(profile.name !== undefined ? { name: profile.name } : {}),
      ...(profile.model !== undefined ? { model: profile.model } : {}),
      ...(profile.lead !== undefined ? { lead: profile.lead } : {}),
    };
    let reply: { agentId: string; revision: number; created: boolean };
    try {
      const r = await this.client.command(RegisterAgent, data, { commandId: `register:${this.agentId}:${randomUUID()}` });
      reply = { ...r, created: true };
    } catch (err) {
      if (errorCodeOf(err) !== 'CONFLICT') throw err;
      const { agentId, ...fields } = data;
      const r = await this.client.command(UpdateAgent, { agentId, ...fields }, { commandId: `update:${this.agentId}:${randomUUID()}` });
      reply = { ...r, created: false };
    }
    this.profile = profile;
    this.emit({ type: 'registered', agentId: this.agentId, created: reply.created });
    return reply;
  }

  /** Sends any Baton command (e.g. `GetTask` is a query: use {@link query}). Throws BatonError. */
  command<D extends MessageDefinition>(def: D, data: DataOf<D>, commandId?: string): Promise<ReplyOf<D>> {
    return this.client.command(def, data, commandId === undefined ? {} : { commandId });
  }

  /** Sends any Baton query, e.g. `agent.query(GetTask, { taskId })`. Throws BatonError. */
  query<D extends MessageDefinition>(def: D, data: DataOf<D>): Promise<ReplyOf<D>> {
    return this.client.query(def, data);
  }

  /**
   * Starts heartbeats and the inbox: every assignment (also those made while the agent was away)
   * is handed to `onTask`, then completed with its outputs or failed with its error.
   * The assignment is acknowledged only once that is recorded, so a crash delivers it again.
   * `concurrency` defaults to the registered `maxConcurrency` (1 when not registered here).
   */
  async start(onTask: TaskHandler, opts: { concurrency?: number } = {}): Promise<void> {
    if (this.running) throw new BatonError('CONFLICT', `agent ${this.agentId} is already started`);
    if (this.nc.isClosed()) throw new BatonError('UNAVAILABLE', `agent ${this.agentId}: the NATS connection is closed`);
    const concurrency = opts.concurrency ?? this.profile?.maxConcurrency ?? 1;
    this.limiter = new ConcurrencyLimiter(concurrency);
    this.running = true;
    this.stopping = false;
    this.startHeartbeat();
    try {
      const durable = await this.ensureInboxConsumer(concurrency);
      const consumer = await jetstream(this.nc).consumers.get(AGENT_INBOX_STREAM, durable);
      this.messages = await consumer.consume({ max_messages: concurrency });
    } catch (err) {
      this.stopHeartbeat();
      this.running = false;
      throw err instanceof BatonError ? err : new BatonError('UNAVAILABLE', `agent ${this.agentId}: cannot consume its inbox: ${(err as Error).message}`, undefined, true, { cause: err });
    }
    const messages = this.messages;
    this.loop = (async () => {
      for await (const m of messages) {
        if (this.stopping) {
          m.nak();
          continue;
        }
        const task = this.parseAssignment(m);
        if (task) await this.take(task, m, onTask);
      }
    })().catch((err: unknown) => this.logger.error(`inbox loop ended: ${(err as Error).message}`));
    if (this.options.awaitAssignments !== false) {
      const parallel = Math.max(1, this.options.awaitParallel ?? Math.min(concurrency, 16));
      for (let k = 0; k < parallel; k++) void this.awaitAssignments(onTask);
    }
  }

  /** Starts the handling of an assignment, once a slot is free; a second delivery of one being worked (or just finished) is not worked again. */
  private async take(task: AgentTask, delivery: Delivery, onTask: TaskHandler): Promise<void> {
    const limiter = this.limiter!;
    const key = `${task.taskId}#${task.leaseEpoch}`;
    const current = this.inFlight.get(key);
    if (current) {
      // Delivered again while still being worked (ack wait passed, or the inbox's copy of an awaited one): keep the newest inbox delivery to ack.
      if (delivery !== current.msg && 'seq' in delivery) current.msg = delivery;
      return;
    }
    if (this.recentlyDone.has(key)) {
      void delivery.ackAck().catch(() => undefined);
      return;
    }
    await limiter.acquire();
    const entry: InFlight = { msg: delivery, task, abort: new AbortController() };
    this.inFlight.set(key, entry);
    void this.work(entry, onTask).finally(() => {
      this.inFlight.delete(key);
      if (entry.acked === true) {
        this.recentlyDone.add(key);
        if (this.recentlyDone.size > RECENTLY_DONE) this.recentlyDone.delete(this.recentlyDone.values().next().value as string);
      }
      limiter.release();
    });
  }

  /**
   * One of the agent's waiting requests: while a slot is free an `await-assignment` waits on the
   * scheduler, and an assignment in its reply is worked like one from the inbox. Failures back off (1 s doubling to 30 s);
   * a scheduler that refuses the command (an older one) leaves the agent to its inbox.
   */
  private async awaitAssignments(onTask: TaskHandler): Promise<void> {
    const limiter = this.limiter!;
    const waitMs = this.options.awaitWaitMs ?? 20_000;
    let delay = 0;
    while (this.running && !this.stopping && !this.nc.isClosed()) {
      await limiter.free();
      if (this.stopping) return;
      let reply: ReplyOf<typeof AwaitAssignment>;
      try {
        reply = await this.client.command(AwaitAssignment, { agentId: this.agentId, waitMs }, { retryForMs: 0, timeoutMs: waitMs + 5000 });
        delay = 0;
      } catch (err) {
        if (this.stopping || this.nc.isClosed()) return;
        const code = errorCodeOf(err);
        if (code !== 'TIMEOUT' && code !== 'UNAVAILABLE' && code !== 'INTERNAL') {
          this.logger.warn(`await-assignment refused (${code}: ${(err as Error).message}); assignments come by the inbox alone`);
          return;
        }
        delay = nextDelay(delay, 1000, 30_000);
        await sleep(delay);
        continue;
      }
      if (reply.assignment === null) continue;
      if (this.stopping) {
        // Not worked here: the scheduler publishes it to the inbox when no report comes.
        this.logger.info(`task ${reply.assignment.taskId} arrived while stopping; it will come again by the inbox`);
        return;
      }
      await this.take(reply.assignment, awaitedDelivery(this.agentId, reply), onTask);
    }
  }

  /**
   * Stops taking assignments and waits for the tasks in hand to finish (drain), up to
   * `timeoutMs` (default 30000); then aborts their `signal` and leaves their assignments to be
   * delivered again. Stops heartbeats and closes the connection if the agent opened it.
   */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    await this.messages?.close().catch(() => undefined);
    await this.loop;
    if (this.limiter) {
      const limiter = this.limiter;
      const idleWithin = async (ms: number): Promise<boolean> => {
        const timer = new AbortController();
        try {
          return await Promise.race([limiter.idle().then(() => true), sleep(ms, timer.signal).then(() => false)]);
        } finally {
          timer.abort();
        }
      };
      if (!(await idleWithin(timeoutMs))) {
        this.logger.warn(`stop: ${this.inFlight.size} task(s) still running after ${timeoutMs} ms; aborting them`);
        for (const f of this.inFlight.values()) {
          f.abortedBy = 'stop';
          f.abort.abort(new BatonError('UNAVAILABLE', `agent ${this.agentId} is stopping`));
        }
        await idleWithin(timeoutMs);
      }
    }
    this.stopHeartbeat();
    this.running = false;
    this.messages = undefined;
    this.loop = undefined;
    if (this.ownsConnection && !this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
    await this.tracing?.flush().catch(() => undefined);
  }

  private startHeartbeat(): void {
    const beat = (): void => {
      if (this.nc.isClosed()) return;
      const body: AgentHeartbeat = { agentId: this.agentId, activeTasks: [...this.activeTasks], sentAt: new Date().toISOString() };
      try {
        this.nc.publish(Subjects.agentHeartbeat(this.agentId), JSON.stringify(body));
      } catch (err) {
        this.logger.warn(`heartbeat not sent: ${(err as Error).message}`);
      }
    };
    beat();
    this.heartbeat = setInterval(beat, this.options.heartbeatIntervalMs ?? 5000);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * Asks the scheduler to create or update the durable `agent-<id>` consumer (`open-inbox`):
   * agents have no JetStream management rights, only fetch and ack on their own consumer.
   * Retried while no scheduler answers, up to `inboxStreamWaitMs`. Returns the consumer's name.
   */
  private async ensureInboxConsumer(concurrency: number): Promise<string> {
    const opened = await this.client.command(
      OpenInbox,
      { agentId: this.agentId, ackWaitMs: this.options.inboxAckWaitMs ?? 10_000, maxAckPending: concurrency },
      { retryForMs: this.options.inboxStreamWaitMs ?? 30_000 },
    );
    return opened.consumer;
  }

  private parseAssignment(m: JsMsg): AgentTask | undefined {
    try {
      const parsed = AgentInboxAssignment.safeParse(decodeJson(m.data));
      if (parsed.success) return parsed.data;
      this.logger.error(`inbox message ${m.seq} is not a task assignment (${parsed.error.issues.map((i) => i.message).join('; ')}); dropped`);
    } catch (err) {
      this.logger.error(`inbox message ${m.seq} is not JSON (${(err as Error).message}); dropped`);
    }
    m.term('not a task assignment');
    return undefined;
  }

  private emit(activity: DistributiveOmit<AgentActivity, 'at'>): void {
    if (!this.options.onActivity) return;
    try {
      this.options.onActivity({ ...activity, at: new Date().toISOString() } as AgentActivity);
    } catch (err) {
      this.logger.error(`onActivity threw: ${(err as Error).message}`);
    }
  }

  private emitTask(task: AgentTask, activity: DistributiveOmit<TaskActivity, 'at' | 'agentId' | 'taskId' | 'action' | 'leaseEpoch' | 'attempt'>): void {
    this.emit({ ...activity, agentId: this.agentId, taskId: task.taskId, action: task.action, leaseEpoch: task.leaseEpoch, attempt: task.attempt } as DistributiveOmit<AgentActivity, 'at'>);
  }

  private report(task: AgentTask): { taskId: string; agentId: string; leaseEpoch: number } {
    return { taskId: task.taskId, agentId: this.agentId, leaseEpoch: task.leaseEpoch };
  }

  private context(entry: InFlight): TaskContext {
    const { task } = entry;
    const guard = async <T>(send: () => Promise<T>): Promise<T> => {
      if (entry.reportError !== undefined) throw entry.reportError;
      try {
        return await send();
      } catch (err) {
        const { settlement } = settlementOf(err);
        if (settlement !== 'deferred') {
          entry.reportError = err;
          if (settlement === 'lost') {
            entry.abortedBy = 'lost';
            entry.abort.abort(err);
          }
        }
        throw err;
      }
    };
    return {
      agentId: this.agentId,
      taskId: task.taskId,
      leaseEpoch: task.leaseEpoch,
      attempt: task.attempt,
      signal: entry.abort.signal,
      log: this.logger,
      progress: async (percent, message, tokensUsed) => {
        await guard(() =>
          this.client.command(ReportProgress, {
            ...this.report(task),
            percent,
            ...(message !== undefined ? { message } : {}),
            ...(tokensUsed !== undefined ? { tokensUsed } : {}),
          }),
        );
        this.emitTask(task, {
          type: 'task.progress',
          percent,
          ...(message !== undefined ? { message } : {}),
          ...(tokensUsed !== undefined ? { tokensUsed } : {}),
        });
      },
      blocked: async (reason) => {
        await guard(() => this.client.command(ReportBlocked, { ...this.report(task), reason }));
        this.emitTask(task, { type: 'task.blocked', reason });
      },
      unblocked: async () => {
        await guard(() => this.client.command(ReportUnblocked, this.report(task)));
        this.emitTask(task, { type: 'task.unblocked' });
      },
    };
  }

  /** Ends the handling of an assignment after a refused or undeliverable report. */
  private settle(entry: InFlight, err: unknown, during: string): void {
    const { task } = entry;
    const reason = (err as Error)?.message ?? String(err);
    if (entry.abortedBy === 'stop') {
      this.logger.info(`task ${task.taskId}: left for redelivery, the agent is stopping`);
      this.emitTask(task, { type: 'task.deferred', code: 'UNAVAILABLE', reason: 'the agent stopped before the task finished' });
      entry.msg.nak();
      return;
    }
    const { settlement, code } = settlementOf(err);
    switch (settlement) {
      case 'lost':
        this.logger.info(`task ${task.taskId} (epoch ${task.leaseEpoch}) is held by another agent now (${during}: STALE_LEASE); stopped working it`);
        this.emitTask(task, { type: 'task.lost', reason });
        this.ack(entry);
        return;
      case 'rejected':
        this.logger.warn(`task ${task.taskId}: ${during} refused with ${code}: ${reason}; dropped`);
        this.emitTask(task, { type: 'task.rejected', code, reason });
        this.ack(entry);
        return;
      case 'deferred':
        this.logger.warn(`task ${task.taskId}: ${during} failed with ${code}: ${reason}; it will be delivered again`);
        this.emitTask(task, { type: 'task.deferred', code, reason });
        entry.msg.nak(this.stopping ? undefined : 1000);
        return;
      default: {
        const unreachable: never = settlement;
        throw new BatonError('INTERNAL', `unknown settlement ${String(unreachable)}`);
      }
    }
  }

  private ack(entry: InFlight): void {
    entry.acked = true;
    entry.msg.ackAck().catch((err: unknown) => this.logger.warn(`ack of task ${entry.task.taskId} failed (${(err as Error).message}); it may be delivered again`));
  }

  /** One assignment, in a CONSUMER span under the trace the inbox message carries (the task's). */
  private work(entry: InFlight, onTask: TaskHandler): Promise<void> {
    const { task } = entry;
    return inAgentSpan(
      `process ${AGENT_INBOX_SUBJECTS}`,
      SpanKind.CONSUMER,
      messageContext(entry.msg.headers),
      () => ({
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.destination.name': entry.msg.subject,
        'messaging.destination.template': AGENT_INBOX_SUBJECTS,
        'messaging.consumer.group.name': agentInboxConsumer(this.agentId),
        'baton.agent.id': this.agentId,
        'baton.task.id': task.taskId,
        'baton.task.action': task.action,
        'baton.task.attempt': task.attempt,
        ...(task.runId ? { 'baton.run.id': task.runId } : {}),
        ...(task.stageId ? { 'baton.stage.id': task.stageId } : {}),
      }),
      () => this.workTask(entry, onTask),
    );
  }

  /** Calls the handler in a span `handle <action>`; a throw fails the span too. */
  private handle(onTask: TaskHandler, task: AgentTask, ctx: TaskContext, round: number): Promise<TaskOutputs | HandoffResult | void> {
    return inAgentSpan(`handle ${task.action}`, SpanKind.INTERNAL, context.active(), () => ({ 'baton.task.id': task.taskId, 'baton.rework.round': round }), async () => onTask(task, ctx));
  }

  private async workTask(entry: InFlight, onTask: TaskHandler): Promise<void> {
    const { task } = entry;
    const keepAlive = setInterval(() => entry.msg.working(), Math.max(100, Math.floor((this.options.inboxAckWaitMs ?? 10_000) / KEEPALIVE_FRACTION)));
    try {
      // No accept-task: the first progress or the completion records the acceptance (docs/messaging.md), two messages fewer per task.
      this.emitTask(task, { type: 'task.received' });

      let current: AgentTask = task;
      for (let round = 0; ; round++) {
        let outputs: TaskOutputs;
        let handed: HandoffResult | undefined;
        try {
          const result = await this.handle(onTask, current, this.context(entry), round);
          handed = isHandoff(result) ? result : undefined;
          outputs = handed !== undefined ? outputsOf(handed.outputs) : outputsOf(result);
          // A handler that caught a refused report (lost lease, cancelled task) has nothing to complete.
          if (entry.reportError !== undefined) throw entry.reportError;
        } catch (err) {
          if (entry.reportError !== undefined) return this.settle(entry, entry.reportError, 'report');
          if (entry.abortedBy === 'stop') return this.settle(entry, err, 'handler');
          return this.failTask(entry, err);
        }
        let reply: Awaited<ReturnType<BatonAgent['completeTask']>>;
        try {
          reply = await this.completeTask(task, outputs, handed, round);
        } catch (err) {
          return this.settle(entry, err, 'complete');
        }
        if (reply.handoff?.status === 'rejected' && reply.status !== 'completed') {
          const failures = reply.handoff.failures;
          this.emitTask(task, { type: 'task.handoff_rejected', handoffId: reply.handoff.handoffId, failures, round: round + 1 });
          if (round + 1 > (this.options.maxReworks ?? DEFAULT_MAX_REWORKS)) {
            return this.failTask(entry, new TaskFailure(`handoff rejected ${round + 1} times; last: ${failures.map((f) => f.message).join('; ')}`, { code: 'HANDOFF_REJECTED' }));
          }
          current = { ...task, inputs: { ...task.inputs, rework: { round: round + 1, handoffId: reply.handoff.handoffId, failures } } };
          continue;
        }
        this.emitTask(task, { type: 'task.completed', outputs });
        this.ack(entry);
        return;
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async failTask(entry: InFlight, err: unknown): Promise<void> {
    const { task } = entry;
    const failure = failureOf(err);
    try {
      await this.client.command(
        FailTask,
        { ...this.report(task), error: failure.error, retryable: failure.retryable },
        { commandId: reportCommandId('fail', task.taskId, this.agentId, task.leaseEpoch) },
      );
    } catch (reportErr) {
      return this.settle(entry, reportErr, 'fail');
    }
    this.emitTask(task, { type: 'task.failed', error: failure.error, retryable: failure.retryable });
    this.ack(entry);
  }

  private completeTask(task: AgentTask, outputs: TaskOutputs, handed: HandoffResult | undefined, round: number) {
    const artifacts = handed === undefined ? [] : artifactsOf(handed);
    const base = reportCommandId('complete', task.taskId, this.agentId, task.leaseEpoch);
    return this.client.command(
      CompleteTask,
      {
        ...this.report(task),
        outputs: { ...outputs },
        ...(artifacts.length > 0 ? { artifacts } : {}),
        ...(handed?.context === undefined ? {} : { context: { ...handed.context } }),
      },
      { commandId: round === 0 ? base : `${base}:rework-${round}` },
    );
  }
}
