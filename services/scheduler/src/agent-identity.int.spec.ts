// Identity from the connection (docs/security.md): a real nats-server with decentralized auth,
// the scheduler with its service credentials, agents with their own. What an agent may do is what
// the server lets its credentials do, and the agent a command is about is the one the subject names.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { BatonAgent, subscribeEvents } from '@baton/agent-sdk';
import { SubmitTask, Subjects, taskStreamId, type AgentInboxAssignment } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { NatsAuthStore, pushAccount, readerReplies } from '@baton/nats-auth';
import { createTestDatabase, startTestNatsServer, uniqueId, waitFor, type TestDatabase, type TestNatsServer } from '@baton/testing';
import { startScheduler, type SchedulerApp } from './adapters/scheduler.app';
import { FakeAgentRegistry } from './testing/agent-events';
import { RawAgentCommandError, RawNatsAgent } from './testing/raw-nats-agent';
import { jetstream } from '@nats-io/jetstream';

/** Resolves with the first async error of a connection (permission violations arrive that way), or undefined after the flush. */
async function asyncError(nc: NatsConnection, act: () => void): Promise<Error | undefined> {
  const errors: Error[] = [];
  const watching = (async () => {
    for await (const s of nc.status()) if (s.type === 'error') errors.push(s.error);
  })();
  act();
  await nc.flush().catch(() => undefined);
  await waitFor(() => errors.length > 0, { timeoutMs: 3000, what: 'a server error' }).catch(() => undefined);
  void watching;
  return errors[0];
}

describe('agent identity on an auth-on NATS server', () => {
  let keysDir: string;
  let store: NatsAuthStore;
  let nats: TestNatsServer;
  let tdb: TestDatabase;
  let scheduler: SchedulerApp;
  let admin: NatsConnection;
  let client: BatonClient;
  let registry: FakeAgentRegistry;
  const run = uniqueId('id');
  const agentA = `${run}-a`;
  const agentB = `${run}-b`;
  const capability = `cap-${run}`;
  const savedCreds = process.env['NATS_CREDS'];

  const credsOf = async (kind: 'agent' | 'reader' | 'admin' | 'service', id: string) => readFile((await store.issue(kind, id)).file);

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(os.tmpdir(), 'baton-nats-auth-'));
    store = await NatsAuthStore.open(keysDir);
    const adminCreds = await credsOf('admin', 'operator');
    nats = await startTestNatsServer({
      config: (dir) => store.serverConfig({ resolverDir: path.join(dir, 'jwt') }),
      ready: async (url) => {
        const nc = await connect({ servers: url, authenticator: credsAuthenticator(adminCreds), reconnect: false, timeout: 1000 });
        await nc.close();
        return true;
      },
    });
    // The scheduler connects as services do: NATS_CREDS names its .creds file.
    process.env['NATS_CREDS'] = (await store.issue('service', 'scheduler')).file;
    tdb = await createTestDatabase('agent_identity');
    scheduler = await startScheduler({
      databaseUrl: tdb.url,
      natsUrl: nats.url,
      httpPort: 0,
      httpHost: '127.0.0.1',
      logger: false,
      agingIntervalMs: 60_000,
      leaseTtlMs: 3000,
      dispatchPollMs: 300,
      timerPollMs: 300,
      dispatchBatchSize: 200,
      consumerName: uniqueId('sched'),
      agentEventsFrom: 'all',
    });
    admin = await connect({ servers: nats.url, authenticator: credsAuthenticator(adminCreds) });
    client = new BatonClient(admin, { timeoutMs: 10_000 });
    registry = new FakeAgentRegistry(jetstream(admin));
    for (const id of [agentA, agentB]) await registry.register(id, { role: 'backend', capabilities: [capability], maxConcurrency: 2 });
    await waitFor(() => scheduler.lease.isHeld(), { timeoutMs: 20_000, what: 'the dispatcher lease' });
  });

  afterAll(async () => {
    if (savedCreds === undefined) delete process.env['NATS_CREDS'];
    else process.env['NATS_CREDS'] = savedCreds;
    await admin?.close();
    await scheduler?.close();
    await tdb?.drop();
    await nats?.stop();
    await rm(keysDir, { recursive: true, force: true });
  });

  it('refuses an anonymous connection', async () => {
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 3000 })).rejects.toThrow(/authorization/i);
  });

  it('lets an agent with its own credentials work a task end to end (open-inbox, fetch, ack, reports)', async () => {
    const agent = await BatonAgent.connect({ agentId: agentA, servers: nats.url, creds: await credsOf('agent', agentA), tracing: false, inboxStreamWaitMs: 20_000 });
    const done: string[] = [];
    await agent.start(async (task, ctx) => {
      await ctx.progress(50, 'half way', 10);
      done.push(task.taskId);
      return { ok: true };
    });
    try {
      const { taskId } = await client.command(SubmitTask, { action: 'build', requirement: { capabilities: [capability], agentId: agentA }, priority: 'P1', inputs: {} }, { commandId: uniqueId('submit') });
      await waitFor(async () => (await scheduler.store.readStream(taskStreamId(taskId))).some((e) => e.type === 'TaskCompleted'), { timeoutMs: 30_000, what: 'the task completed' });
      expect(done).toEqual([taskId]);
      const events = await scheduler.store.readStream(taskStreamId(taskId));
      expect(events.filter((e) => e.type === 'TaskProgressReported').map((e) => e.metadata.actor)).toEqual([{ kind: 'agent', id: agentA }]);
    } finally {
      await agent.stop({ timeoutMs: 5000 });
    }
  });

  it("denies agent A publishing on or subscribing to agent B's subjects (permission violation)", async () => {
    const a = await connect({ servers: nats.url, authenticator: credsAuthenticator(await credsOf('agent', agentA)), inboxPrefix: Subjects.agentReplies(agentA) });
    try {
      const pub = await asyncError(a, () => a.publish(Subjects.agentCommand(agentB, 'report-progress'), '{}'));
      expect(pub?.message).toMatch(/permissions violation for publish to "baton\.agent\..*-b\.cmd\.report-progress"/i);
      const hb = await asyncError(a, () => a.publish(Subjects.agentHeartbeat(agentB), '{}'));
      expect(hb?.message).toMatch(/permissions violation for publish/i);
      const sub = await asyncError(a, () => a.subscribe(Subjects.agentInbox(agentB)));
      expect(sub?.message).toMatch(/permissions violation for subscription to "baton\.agent\..*-b\.inbox"/i);
      const replies = await asyncError(a, () => a.subscribe(`${Subjects.agentReplies(agentB)}.>`));
      expect(replies?.message).toMatch(/permissions violation for subscription/i);
      const events = await asyncError(a, () => a.subscribe('baton.evt.>'));
      expect(events?.message).toMatch(/permissions violation for subscription/i);
    } finally {
      await a.close().catch(() => undefined);
    }
  });

  it('rejects a payload from A naming B with FORBIDDEN (AGENT_MISMATCH) and appends nothing', async () => {
    const { taskId } = await client.command(SubmitTask, { action: 'review', requirement: { capabilities: [`none-${run}`] }, priority: 'P2', inputs: {} }, { commandId: uniqueId('submit') });
    const before = await scheduler.store.readStream(taskStreamId(taskId));
    const a = await RawNatsAgent.connect({ url: nats.url, agentId: agentA, role: 'backend', capabilities: [capability], creds: await credsOf('agent', agentA), retryForMs: 10_000 });
    try {
      const refused = await a.command<AgentInboxAssignment>('claim-task', { agentId: agentB, taskId }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RawAgentCommandError);
      expect(refused).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'AGENT_MISMATCH', agentId: agentA, named: agentB } });
      expect(await scheduler.store.readStream(taskStreamId(taskId))).toHaveLength(before.length);
    } finally {
      await a.close();
    }
  });

  it('denies an agent the services’ command subjects (approvals, admin) and the JetStream management API', async () => {
    const a = await connect({ servers: nats.url, authenticator: credsAuthenticator(await credsOf('agent', agentA)), inboxPrefix: Subjects.agentReplies(agentA) });
    try {
      for (const subject of [
        'baton.cmd.scheduler.approve-stage',
        'baton.cmd.scheduler.cancel-task',
        'baton.cmd.agent-registry.remove-agent',
        'baton.cmd.scheduler.report-progress',
        '$JS.API.INFO',
        '$JS.API.STREAM.CREATE.EVIL',
        '$JS.API.STREAM.DELETE.BATON_AGENT_INBOX',
        `$JS.API.CONSUMER.CREATE.BATON_AGENT_INBOX.agent-${agentB}`,
        `$JS.API.CONSUMER.MSG.NEXT.BATON_AGENT_INBOX.agent-${agentB}`,
        `$JS.API.CONSUMER.DELETE.BATON_AGENT_INBOX.agent-${agentA}`,
      ]) {
        const err = await asyncError(a, () => a.publish(subject, '{}'));
        expect(err?.message).toContain(`Permissions Violation for Publish to "${subject}"`);
      }
      await expect(jetstreamManager(a, { checkAPI: true })).rejects.toThrow();
    } finally {
      await a.close().catch(() => undefined);
    }
  });

  it('lets a reader follow the events through its own durable consumer, and nothing else', async () => {
    const readerId = `${run}-dash`;
    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(await credsOf('reader', readerId)), inboxPrefix: readerReplies(readerId) });
    const seen: string[] = [];
    const sub = await subscribeEvents({ connection: nc, durable: readerId, subjects: ['baton.evt.task.>'], start: { from: 'all' }, handler: (e) => void seen.push(e.type), logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
    try {
      const { taskId } = await client.command(SubmitTask, { action: 'watch-me', requirement: { capabilities: [`none-${run}`] }, priority: 'P2', inputs: {} }, { commandId: uniqueId('submit') });
      await waitFor(() => seen.includes('TaskCreated'), { timeoutMs: 20_000, what: `TaskCreated of ${taskId} seen by the reader` });
      await expect(subscribeEvents({ connection: nc, durable: `${run}-other`, handler: () => undefined })).rejects.toThrow();
      const pub = await asyncError(nc, () => nc.publish('baton.cmd.scheduler.submit-task', '{}'));
      expect(pub?.message).toMatch(/permissions violation for publish/i);
    } finally {
      await sub.stop();
      await nc.close().catch(() => undefined);
    }
  });

  it("refuses a revoked agent's next connection and closes its live one", async () => {
    const revokedId = `${run}-r`;
    const creds = await credsOf('agent', revokedId);
    const live = await connect({ servers: nats.url, authenticator: credsAuthenticator(creds), inboxPrefix: Subjects.agentReplies(revokedId), reconnect: false });
    const closed = live.closed();
    const { publicKeys } = await store.revoke('agent', revokedId);
    expect(publicKeys).toHaveLength(1);
    await pushAccount(store, nats.url);
    await expect(closed).resolves.toBeDefined();
    expect(live.isClosed()).toBe(true);
    await expect(connect({ servers: nats.url, authenticator: credsAuthenticator(creds), reconnect: false, timeout: 3000 })).rejects.toThrow(/authorization|revoked/i);
    // Another agent's credentials are untouched.
    const other = await connect({ servers: nats.url, authenticator: credsAuthenticator(await credsOf('agent', agentB)), reconnect: false });
    await other.close();
  });
});
