/**
 * Test-only helpers of the notifier's tests: real HTTP servers standing in for Slack, a webhook
 * receiver and PagerDuty (they record what arrives and answer as told), Mailpit's API, and the
 * events other services publish, as relayed envelopes on JetStream.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RecordedEvent } from '@baton/contracts';
import { publishEvent } from '@baton/messaging';

/** One request a stand-in received. */
export interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** What the stand-in answered (0: nothing, it hung). */
  readonly status: number;
  readonly at: Date;
}

/**
 * A local HTTP receiver: records every POST and answers `status` (200 by default; 503 or 400 to
 * play a failing receiver).
 */
export class StandIn {
  readonly received: Received[] = [];
  status = 200;
  /** How many of the next requests to leave unanswered (a receiver that hangs). */
  hang = 0;
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<StandIn> {
    const server = http.createServer();
    const standIn = new StandIn(server);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (standIn.hang > 0) {
          standIn.hang--;
          standIn.received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: 0, at: new Date() });
          return;
        }
        const status = standIn.status;
        standIn.received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status, at: new Date() });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'unavailable');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests it accepted (2xx). */
  get accepted(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  json<T = Record<string, unknown>>(r: Received): T {
    return JSON.parse(r.body) as T;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A message as Mailpit's API lists it. */
export interface MailpitMessage {
  readonly ID: string;
  readonly MessageID: string;
  readonly Subject: string;
  readonly To: readonly { readonly Address: string }[];
}

/** The messages Mailpit holds for `address` (its REST API, `TEST_MAILPIT_URL`). */
export async function mailTo(address: string, mailpitUrl = process.env['TEST_MAILPIT_URL'] ?? 'http://127.0.0.1:8025'): Promise<MailpitMessage[]> {
  const res = await fetch(`${mailpitUrl}/api/v1/search?query=${encodeURIComponent(`to:"${address}"`)}&limit=200`);
  if (!res.ok) throw new Error(`Mailpit answered ${res.status}`);
  const body = (await res.json()) as { messages: MailpitMessage[] };
  return body.messages;
}

let seq = 0;

/** Publishes `data` as event `type` of `streamId`, the way a service's relay does (a RecordedEvent on `baton.evt.<category>.<event>`). */
export async function publishInput(nc: NatsConnection, streamId: string, type: string, data: Record<string, unknown>, occurredAt = new Date()): Promise<RecordedEvent> {
  const event: RecordedEvent = {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    streamId,
    revision: seq,
    position: { commit: 2_000_000 + seq, prepare: seq },
    data,
    metadata: { occurredAt: occurredAt.toISOString() },
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
  };
  seq++;
  await publishEvent(jetstream(nc), event);
  return event;
}
