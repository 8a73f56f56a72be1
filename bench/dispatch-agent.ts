/**
 * The drain agent of bench/dispatch.bench.ts, run as its own process: nothing but the NATS
 * client and plain JSON (like services/scheduler/src/testing/raw-nats-agent.ts). It consumes
 * `baton.agent.<id>.inbox` with the durable consumer `agent-<id>` on BATON_AGENT_INBOX and, for
 * every assignment, sends complete-task (accepting is optional, as in libs/agent-sdk) and acks
 * the message after the complete reply (so `max_ack_pending` = its concurrency).
 *
 * Env: NATS_URL, AGENT_ID, EXPECT (assignments to handle, then it reports and exits),
 * CONCURRENCY (default 512), TIMEOUT_MS (default 170000). stdout: `{"ready":true}` once the
 * consumer is live, then one JSON line of counters at the end (also on SIGTERM).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';

const enc = new TextEncoder();
const dec = new TextDecoder();

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const agentId = process.env.AGENT_ID ?? '';
const expect = Number(process.env.EXPECT ?? 0);
const concurrency = Number(process.env.CONCURRENCY ?? 512);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 170_000);

interface Assignment {
  readonly taskId: string;
  readonly leaseEpoch: number;
}

async function command(nc: NatsConnection, name: string, data: unknown): Promise<void> {
  const msg = await nc.request(`baton.cmd.scheduler.${name}`, enc.encode(JSON.stringify({ commandId: randomUUID(), data })), { timeout: 60_000 });
  const reply = JSON.parse(dec.decode(msg.data)) as { ok: boolean; error?: { code: string; message: string } };
  if (!reply.ok) throw new Error(`${name}: ${reply.error?.code}: ${reply.error?.message}`);
}

async function main(): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(agentId) || !(expect > 0)) throw new Error('AGENT_ID (a subject token) and EXPECT > 0 are required');
  const nc = await connect({ servers: natsUrl, name: `bench-agent-${agentId}` });
  const durable = `agent-${agentId}`;
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add('BATON_AGENT_INBOX', {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: `baton.agent.${agentId}.inbox`,
    max_ack_pending: concurrency,
  });
  const consumer = await jetstream(nc).consumers.get('BATON_AGENT_INBOX', durable);
  const messages = await consumer.consume({ max_messages: concurrency });
  let received = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  let firstAt = 0;
  let lastAt = 0;
  let finished = false;
  const finish = (why: string): void => {
    if (finished) return;
    finished = true;
    process.stdout.write(
      `${JSON.stringify({ done: true, why, received, completed, errors, firstError, activeMs: Math.round(lastAt - firstAt), cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000), pid: process.pid })}\n`,
    );
    void messages.close().finally(() => nc.close().finally(() => process.exit(0)));
  };
  const handle = async (m: JsMsg): Promise<void> => {
    try {
      const a = JSON.parse(dec.decode(m.data)) as Assignment;
      const report = { taskId: a.taskId, agentId, leaseEpoch: a.leaseEpoch };
      await command(nc, 'complete-task', { ...report, outputs: { ok: true } });
      m.ack();
      completed++;
      lastAt = performance.now();
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
      m.nak(200);
    }
    if (completed >= expect) finish('expected count reached');
  };
  process.once('SIGTERM', () => finish('SIGTERM'));
  const timer = setTimeout(() => finish('timeout'), timeoutMs);
  timer.unref();
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
  for await (const m of messages) {
    if (received === 0) firstAt = performance.now();
    received++;
    void handle(m);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[dispatch-agent] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
