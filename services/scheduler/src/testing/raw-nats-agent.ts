// A test agent that speaks Baton's agent protocol with nothing but the NATS client library
// (@nats-io/transport-node + @nats-io/jetstream) and plain JSON: the proof that an agent in any
// language needs no Baton code. Only types come from @baton/contracts.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { AgentHeartbeat, AgentInboxAssignment, ErrorBody } from '@baton/contracts';

export interface RawNatsAgentOptions {
  readonly url: string;
  readonly agentId: string;
  readonly role: string;
  readonly capabilities: readonly string[];
  readonly maxConcurrency?: number;
  /** Heartbeat period. Default 1000 ms. */
  readonly heartbeatMs?: number;
  /** How long a command keeps being retried while no scheduler answers (restarts). Default 30000 ms. */
  readonly retryForMs?: number;
  /** The agent's `.creds` file content (decentralized auth). Default the file `NATS_CREDS` names; neither: none (auth off). */
  readonly creds?: Uint8Array;
}

/** A command that came back `{ok: false}`: the service's code, message and details. */
export class RawAgentCommandError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(subject: string, body: ErrorBody) {
    super(`${subject}: ${body.code}: ${body.message}`);
    this.name = 'RawAgentCommandError';
    this.code = body.code;
    this.details = body.details;
  }
}

const INBOX_STREAM = 'BATON_AGENT_INBOX';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** An agent sends its commands on subjects under its own id; the service takes the agent from there (docs/security.md). */
function cmdSubject(agentId: string, name: string): string {
  return `baton.agent.${agentId}.cmd.${name}`;
}

/** True for errors that mean "nobody answered" (scheduler down or restarting): worth retrying. */
function isTransient(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const name = (e as { name?: string }).name ?? '';
    const message = (e as { message?: string }).message ?? '';
    if (/NoResponders|Timeout|RequestError/i.test(name) || /no responders|timeout|503/i.test(message)) return true;
  }
  return false;
}

export class RawNatsAgent {
  private heartbeat: NodeJS.Timeout | undefined;
  private inbox: ConsumerMessages | undefined;
  private inboxLoop: Promise<void> | undefined;
  /** Tasks this agent is working on (reported in heartbeats). */
  readonly active = new Set<string>();

  private constructor(
    readonly nc: NatsConnection,
    readonly options: RawNatsAgentOptions,
  ) {}

  get agentId(): string {
    return this.options.agentId;
  }

  static async connect(options: RawNatsAgentOptions): Promise<RawNatsAgent> {
    // Replies under the agent's own prefix: the only subjects an agent's credentials may subscribe to.
    const credsFile = process.env['NATS_CREDS']?.trim();
    const creds = options.creds ?? (credsFile ? readFileSync(credsFile) : undefined);
    const nc = await connect({
      servers: options.url,
      name: `agent-${options.agentId}`,
      inboxPrefix: `_INBOX.agent.${options.agentId}`,
      ...(creds ? { authenticator: credsAuthenticator(creds) } : {}),
    });
    return new RawNatsAgent(nc, options);
  }

  /**
   * Sends a command as plain JSON (`{commandId, data}`) on `baton.agent.<id>.cmd.<name>` and
   * returns the reply data. Retries with the same command id while no service answers, so a
   * retried report is idempotent.
   */
  async command<T = unknown>(name: string, data: unknown, commandId: string = randomUUID()): Promise<T> {
    const subject = cmdSubject(this.agentId, name);
    const deadline = Date.now() + (this.options.retryForMs ?? 30_000);
    let delay = 100;
    for (;;) {
      try {
        const msg = await this.nc.request(subject, enc.encode(JSON.stringify({ commandId, data })), { timeout: 5000 });
        const reply = JSON.parse(dec.decode(msg.data)) as { ok: true; data: T } | { ok: false; error: ErrorBody };
        if (!reply.ok) throw new RawAgentCommandError(subject, reply.error);
        return reply.data;
      } catch (err) {
        if (err instanceof RawAgentCommandError || !isTransient(err) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  /** Registers through the agent-registry (`baton.agent.<id>.cmd.register-agent`). */
  register(): Promise<{ agentId: string; revision: number }> {
    return this.command('register-agent', {
      agentId: this.options.agentId,
      role: this.options.role,
      capabilities: [...this.options.capabilities],
      maxConcurrency: this.options.maxConcurrency ?? 1,
    });
  }

  /** Publishes a heartbeat on `baton.agent.<id>.heartbeat` now and then every `heartbeatMs`. */
  startHeartbeat(): void {
    const beat = () => {
      const body: AgentHeartbeat = { agentId: this.agentId, activeTasks: [...this.active], sentAt: new Date().toISOString() };
      this.nc.publish(`baton.agent.${this.agentId}.heartbeat`, enc.encode(JSON.stringify(body)));
    };
    beat();
    this.heartbeat = setInterval(beat, this.options.heartbeatMs ?? 1000);
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * Consumes `baton.agent.<id>.inbox` through the durable consumer the scheduler opens for the
   * agent (`open-inbox`), so what was assigned while it was away is delivered when it connects.
   * Each message is acked after `onAssignment` resolves (nak'ed when it throws, to be delivered again).
   */
  async consumeInbox(onAssignment: (assignment: AgentInboxAssignment) => Promise<void>): Promise<void> {
    const { consumer: durable } = await this.command<{ consumer: string }>('open-inbox', { agentId: this.agentId, maxAckPending: 16 });
    const consumer = await jetstream(this.nc).consumers.get(INBOX_STREAM, durable);
    const messages = await consumer.consume({ max_messages: 16 });
    this.inbox = messages;
    this.inboxLoop = (async () => {
      for await (const m of messages) {
        try {
          await onAssignment(JSON.parse(dec.decode(m.data)) as AgentInboxAssignment);
          m.ack();
        } catch {
          m.nak(200);
        }
      }
    })();
  }

  private report(a: Pick<AgentInboxAssignment, 'taskId' | 'leaseEpoch'>) {
    return { taskId: a.taskId, agentId: this.agentId, leaseEpoch: a.leaseEpoch };
  }

  accept(a: Pick<AgentInboxAssignment, 'taskId' | 'leaseEpoch'>, commandId?: string) {
    this.active.add(a.taskId);
    return this.command('accept-task', this.report(a), commandId);
  }

  progress(a: Pick<AgentInboxAssignment, 'taskId' | 'leaseEpoch'>, percent: number, message: string, tokensUsed: number) {
    return this.command('report-progress', { ...this.report(a), percent, message, tokensUsed });
  }

  blocked(a: Pick<AgentInboxAssignment, 'taskId' | 'leaseEpoch'>, reason: string) {
    return this.command('report-blocked', { ...this.report(a), reason });
  }

  unblocked(a: Pick<AgentInboxAssignment, 'taskId' | 'leaseEpoch'>) {
    return this.command('report-unblocked', this.report(a));
  }

  async complete(a: Pick<AgentInboxAssignment, 'taskId' | 'leaseEpoch'>, outputs: Record<string, unknown>, commandId?: string) {
    const r = await this.command('complete-task', { ...this.report(a), outputs }, commandId);
    this.active.delete(a.taskId);
    return r;
  }

  async fail(a: Pick<AgentInboxAssignment, 'taskId' | 'leaseEpoch'>, error: { message: string; code?: string }, retryable: boolean) {
    const r = await this.command('fail-task', { ...this.report(a), error, retryable });
    this.active.delete(a.taskId);
    return r;
  }

  /** Pull-style: takes `taskId`, or the first waiting task it can do. */
  claim(taskId?: string): Promise<AgentInboxAssignment> {
    return this.command('claim-task', { agentId: this.agentId, ...(taskId ? { taskId } : {}) });
  }

  /** Stops consuming and heartbeating and closes the connection (the durable inbox stays). */
  async close(): Promise<void> {
    this.stopHeartbeat();
    await this.inbox?.close();
    await this.inboxLoop;
    if (!this.nc.isClosed()) await this.nc.close();
  }
}
