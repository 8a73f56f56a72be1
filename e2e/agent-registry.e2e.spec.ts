import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy } from '@nats-io/jetstream';
import { createTestDatabase, freePort, testNatsUrl, uniqueId, waitFor, type TestDatabase, testNatsAuth } from '@baton/testing';
import { compiledMain } from './support/stack';

// The agent-registry as a real process, spoken to with nothing but a NATS client and plain
// JSON (as an agent written in any language would), killed with SIGKILL and restarted.

const root = path.resolve(__dirname, '..');
const REGISTER = 'baton.cmd.agent-registry.register-agent';
const GET = 'baton.qry.agent-registry.get-agent';
const EVENT_SUBJECT = 'baton.evt.agent.registered';

interface Service {
  proc: ChildProcess;
  output: string[];
}

function startService(databaseUrl: string, port: number): Service {
  const output: string[] = [];
  const proc = spawn(process.execPath, ['--enable-source-maps', compiledMain('services/agent-registry')], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: databaseUrl, NATS_URL: testNatsUrl(), HTTP_PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  return { proc, output };
}

async function waitReady(svc: Service, port: number): Promise<void> {
  await waitFor(
    async () => {
      if (svc.proc.exitCode !== null) throw new Error(`service exited with ${svc.proc.exitCode}:\n${svc.output.join('')}`);
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return res.status === 200;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'agent-registry /health/ready' },
  );
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
}

async function request(nc: NatsConnection, subject: string, body: unknown): Promise<{ ok: boolean; data?: Record<string, unknown>; error?: { code: string } }> {
  const reply = await nc.request(subject, JSON.stringify(body), { timeout: 5_000 });
  return reply.json();
}

describe('agent-registry as a process (e2e)', () => {
  let db: TestDatabase;
  let nc: NatsConnection;
  let port: number;
  let svc: Service | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('e2e_registry');
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    port = await freePort();
  });

  afterAll(async () => {
    if (svc && svc.proc.exitCode === null) {
      svc.proc.kill('SIGTERM');
      await exited(svc.proc);
    }
    await nc?.close();
    await db?.drop();
  });

  it('registers over plain JSON, survives SIGKILL, and publishes each event once', async () => {
    const agentA = uniqueId('e2e-agent');
    const agentB = uniqueId('e2e-agent');
    const commandA = uniqueId('cmd');

    svc = startService(db.url, port);
    await waitReady(svc, port);

    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(live.status).toBe(200);

    const first = await request(nc, REGISTER, {
      commandId: commandA,
      data: { agentId: agentA, role: 'backend-developer', capabilities: ['typescript', 'postgres'], maxConcurrency: 2 },
    });
    expect(first).toEqual({ ok: true, data: { agentId: agentA, revision: 0 } });

    const bad = await request(nc, REGISTER, { commandId: uniqueId('cmd'), data: { agentId: agentB } });
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toBe('VALIDATION_FAILED');

    const viewA = await waitFor(async () => {
      const r = await request(nc, GET, { data: { agentId: agentA } });
      return r.ok ? r.data : undefined;
    }, { what: 'agent A in the read model' });
    expect(viewA).toMatchObject({ agentId: agentA, role: 'backend-developer', capabilities: ['typescript', 'postgres'], maxConcurrency: 2 });

    // Kill it hard; nothing accepted may be lost.
    svc.proc.kill('SIGKILL');
    await exited(svc.proc);

    svc = startService(db.url, port);
    await waitReady(svc, port);

    const afterRestart = await request(nc, GET, { data: { agentId: agentA } });
    expect(afterRestart).toMatchObject({ ok: true, data: { agentId: agentA } });

    // The same command id after the restart returns the first reply and appends nothing.
    const repeat = await request(nc, REGISTER, {
      commandId: commandA,
      data: { agentId: agentA, role: 'backend-developer', capabilities: ['typescript', 'postgres'], maxConcurrency: 2 },
    });
    expect(repeat).toEqual(first);

    const second = await request(nc, REGISTER, { commandId: uniqueId('cmd'), data: { agentId: agentB, role: 'qa' } });
    expect(second).toEqual({ ok: true, data: { agentId: agentB, revision: 0 } });

    // Each AgentRegistered reached JetStream exactly once.
    const jsm = await jetstreamManager(nc);
    const streamName = await jsm.streams.find(EVENT_SUBJECT);
    const js = jetstream(nc);
    const seen = new Map<string, number>();
    await waitFor(async () => {
      seen.clear();
      const consumer = await js.consumers.get(streamName, { filter_subjects: [EVENT_SUBJECT], deliver_policy: DeliverPolicy.All });
      const info = await consumer.info(true);
      const total = info.num_pending;
      let read = 0;
      const messages = await consumer.fetch({ max_messages: Math.max(total, 1), expires: 2_000 });
      for await (const m of messages) {
        read++;
        const streamId = m.headers?.get('Baton-Stream-Id') ?? '';
        if (streamId === `agent-${agentA}` || streamId === `agent-${agentB}`) seen.set(streamId, (seen.get(streamId) ?? 0) + 1);
        if (read >= total) break;
      }
      await consumer.delete().catch(() => undefined);
      return seen.size === 2;
    }, { timeoutMs: 20_000, intervalMs: 200, what: 'both events on JetStream' });
    expect(Object.fromEntries(seen)).toEqual({ [`agent-${agentA}`]: 1, [`agent-${agentB}`]: 1 });
  });
});
