import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an {@link HttpStandIn} received. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** What the stand-in answered (0: nothing, it hung). */
  readonly status: number;
  readonly at: Date;
}

/**
 * A real local HTTP server standing in for a service a test cannot reach (Slack, a webhook
 * receiver, PagerDuty): it records every request and answers `status` (200 by default; 503 or
 * 400 to play a failing receiver), can leave requests unanswered (`hang`), and can stop
 * listening and come back on the same port (an outage).
 *
 * @example
 * const slack = await new HttpStandIn().listen();
 * // … point the code under test at slack.url, then:
 * expect(slack.accepted).toHaveLength(1);
 * await slack.close();
 */
export class HttpStandIn {
  readonly received: ReceivedRequest[] = [];
  status = 200;
  /** How many of the next requests to leave unanswered (a receiver that hangs). */
  hang = 0;
  private server: http.Server | undefined;
  private port = 0;

  /** Listens on 127.0.0.1: on a free port the first time, on the same port after {@link close}. */
  async listen(): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const hung = this.hang > 0;
        if (hung) this.hang--;
        const status = hung ? 0 : this.status;
        this.received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status, at: new Date() });
        if (!hung) res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'unavailable');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening: connections are refused until {@link listen} again. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests it accepted (2xx). */
  get accepted(): ReceivedRequest[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  json<T = Record<string, unknown>>(r: ReceivedRequest): T {
    return JSON.parse(r.body) as T;
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
