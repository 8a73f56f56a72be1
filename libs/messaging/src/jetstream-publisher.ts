import { createInbox, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { PubAck } from '@nats-io/jetstream';
import { BatonError } from '@baton/contracts';

/** What a JetStream publish takes besides the subject and the body (a subset of the client's options). */
export interface JetStreamPublishOptions {
  /** `Nats-Msg-Id`: JetStream drops a repeat inside the stream's duplicate window. */
  readonly msgID: string;
  /** PubAck wait, ms. */
  readonly timeout: number;
  readonly headers?: MsgHdrs;
}

/** Publishes to a stream and resolves with its PubAck: `JetStreamClient` has this shape, and so has {@link PipelinedJetStreamPublisher}. */
export interface JetStreamPublish {
  publish(subject: string, payload: string | Uint8Array, options: JetStreamPublishOptions): Promise<PubAck>;
}

interface Pending {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (err: Error) => void;
  readonly deadline: number;
  readonly subject: string;
}

/** How often waiting publishes are checked against their deadline. */
const SWEEP_MS = 100;

/**
 * JetStream publishes with their acknowledgements pipelined on one subscription: each message
 * goes out as a plain publish whose reply subject is `<inbox>.<n>`, and the PubAcks come back to
 * one wildcard subscription, matched by `n`. The same messages and PubAcks as the client's
 * `js.publish`, without its per-publish request (a muxed request object, a timer, and an Error
 * built when it is settled): a relay with hundreds of publishes in flight spent about 3 % of the
 * scheduler's CPU building those Errors. Deadlines are checked every 100 ms. A publish that no
 * stream takes is refused at once (the server's 503 no-responders status); a PubAck with an
 * error rejects with its description. After a reconnect the subscription is the client's own
 * to restore; a publish whose PubAck was lost times out and is published again by its caller,
 * and `Nats-Msg-Id` drops the repeat.
 */
export class PipelinedJetStreamPublisher implements JetStreamPublish {
  readonly #nc: NatsConnection;
  readonly #prefix = createInbox();
  readonly #pending = new Map<number, Pending>();
  #subscription: Subscription | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #next = 0;
  #closed = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** Publishes awaiting an acknowledgement. */
  get inFlight(): number {
    return this.#pending.size;
  }

  publish(subject: string, payload: string | Uint8Array, options: JetStreamPublishOptions): Promise<PubAck> {
    if (this.#closed) return Promise.reject(new BatonError('UNAVAILABLE', 'the JetStream publisher is closed', { subject }, true));
    this.#subscription ??= this.#nc.subscribe(`${this.#prefix}.*`, { callback: (_err, m) => this.#acknowledged(m) });
    const n = ++this.#next;
    const headers = options.headers ?? natsHeaders();
    headers.set('Nats-Msg-Id', options.msgID);
    return new Promise<PubAck>((resolve, reject) => {
      this.#pending.set(n, { resolve, reject, deadline: Date.now() + options.timeout, subject });
      this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_MS).unref();
      try {
        this.#nc.publish(subject, payload, { headers, reply: `${this.#prefix}.${n}` });
      } catch (err) {
        this.#pending.delete(n);
        reject(err as Error);
      }
    });
  }

  /** Refuses the publishes still waiting and stops listening for acknowledgements. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    for (const [n, p] of this.#pending) {
      this.#pending.delete(n);
      p.reject(new BatonError('UNAVAILABLE', `publishing to ${p.subject}: the JetStream publisher closed before its acknowledgement`, { subject: p.subject }, true));
    }
  }

  #acknowledged(m: Msg): void {
    const n = Number(m.subject.slice(this.#prefix.length + 1));
    const p = this.#pending.get(n);
    if (p === undefined) return;
    this.#pending.delete(n);
    if (m.headers?.code === 503) {
      p.reject(new BatonError('UNAVAILABLE', `publishing to ${p.subject}: no JetStream stream takes this subject (503 no responders)`, { subject: p.subject }, true));
      return;
    }
    try {
      const ack = m.json<{ stream?: string; seq?: number; duplicate?: boolean; domain?: string; error?: { code?: number; err_code?: number; description?: string } }>();
      if (ack.error !== undefined || typeof ack.stream !== 'string' || typeof ack.seq !== 'number') {
        const e = ack.error;
        p.reject(new BatonError('UNAVAILABLE', `publishing to ${p.subject}: JetStream refused it: ${e?.description ?? 'no stream or sequence in the acknowledgement'}${e?.err_code ? ` (${e.err_code})` : ''}`, { subject: p.subject }, true));
        return;
      }
      p.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true, ...(ack.domain ? { domain: ack.domain } : {}) });
    } catch (err) {
      p.reject(new BatonError('UNAVAILABLE', `publishing to ${p.subject}: the acknowledgement is not JSON: ${(err as Error).message}`, { subject: p.subject }, true));
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const [n, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#pending.delete(n);
      p.reject(new BatonError('TIMEOUT', `publishing to ${p.subject}: no JetStream acknowledgement in time`, { subject: p.subject }, true));
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
