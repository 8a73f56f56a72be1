// The Baton stack for the Python SDK's integration tests, started the way the e2e tier starts it
// (e2e/support): a nats-server of its own (libs/testing), a fresh database, and the compiled
// agent-registry, handoff-validator and scheduler as processes. Run by tests/integration/conftest.py:
//
//   node -r @swc-node/register sdk/python/tests/support/stack.ts
//   node -r @swc-node/register sdk/python/tests/support/stack.ts --auth --agents a,b --readers r
//
// prints one JSON line `{"natsUrl", "databaseUrl", "directConfirmMs"}` once every service is ready, and stops
// everything when its stdin closes (the pytest session ended, or died) or on SIGTERM.
// With --auth the server runs decentralized auth (@baton/nats-auth, docs/security.md): the
// services connect with service credentials, and the line also names the `.creds` files issued
// for an admin, for each of --agents and for each of --readers.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { NatsAuthStore } from '@baton/nats-auth';
import { createTestDatabase, resolveInfra, startTestNatsServer } from '@baton/testing';
import { repoRoot, startService, type RunningProcess, type ServiceName } from '../../../../e2e/support/stack';

/** The scheduler's `SCHEDULER_DIRECT_CONFIRM_MS`: short, so a test sees an awaited assignment's inbox copy in seconds. */
const DIRECT_CONFIRM_MS = 3000;

interface Nats {
  readonly url: string;
  stop(): Promise<void>;
}

interface AuthOn {
  readonly store: NatsAuthStore;
  readonly dir: string;
  readonly admin: string;
}

async function authOnNats(): Promise<{ nats: Nats; auth: AuthOn }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'baton-py-auth-'));
  const store = await NatsAuthStore.open(dir);
  const admin = (await store.issue('admin', 'py-tests')).file;
  const adminCreds = await readFile(admin);
  const server = await startTestNatsServer({
    config: (serverDir) => store.serverConfig({ resolverDir: path.join(serverDir, 'jwt') }),
    ready: async (url) => {
      const nc = await connect({ servers: url, authenticator: credsAuthenticator(adminCreds), reconnect: false, timeout: 1000 });
      await nc.close();
      return true;
    },
  });
  const stop = async (): Promise<void> => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { nats: { url: server.url, stop }, auth: { store, dir, admin } };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { auth: { type: 'boolean' }, agents: { type: 'string' }, readers: { type: 'string' } } });
  const infra = await resolveInfra();
  process.env['TEST_DATABASE_URL'] ??= infra.databaseUrl;
  process.env['TEST_NATS_URL'] ??= infra.natsUrl;
  const db = await createTestDatabase('py_sdk');
  // Auth off unless --auth: a server of its own either way, whatever the harness's defaults.
  const { nats, auth } = values.auth ? await authOnNats() : { nats: await startTestNatsServer(), auth: undefined };
  const services: RunningProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.allSettled([...services].reverse().map((s) => s.stop()));
      await nats.stop();
      await db.drop();
    })());
  process.stdin.on('end', () => void stop().then(() => process.exit(0)));
  process.stdin.resume();
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  const ids = (list: string | undefined): string[] => (list ?? '').split(',').filter((s) => s !== '');
  const issued = { agents: {} as Record<string, string>, readers: {} as Record<string, string> };
  try {
    const credsOf = async (name: ServiceName): Promise<Record<string, string>> => (auth ? { NATS_CREDS: (await auth.store.issue('service', name)).file } : {});
    const common = { DATABASE_URL: db.url, NATS_URL: nats.url };
    const handoffs = path.join(repoRoot, 'examples/handoffs');
    services.push(await startService('agent-registry', { ...common, ...(await credsOf('agent-registry')), HEARTBEAT_WINDOW_MS: '10000' }));
    services.push(await startService('handoff-validator', { ...common, ...(await credsOf('handoff-validator')), HANDOFFS_DIR: handoffs }));
    services.push(
      await startService('scheduler', {
        ...common,
        ...(await credsOf('scheduler')),
        HANDOFFS_DIR: handoffs,
        SCHEDULER_DISPATCH_POLL_MS: '300',
        SCHEDULER_TIMER_POLL_MS: '200',
        SCHEDULER_DIRECT_CONFIRM_MS: String(DIRECT_CONFIRM_MS),
      }),
    );
    if (auth) {
      for (const id of ids(values.agents)) issued.agents[id] = (await auth.store.issue('agent', id)).file;
      for (const id of ids(values.readers)) issued.readers[id] = (await auth.store.issue('reader', id)).file;
    }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    await stop();
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ natsUrl: nats.url, databaseUrl: db.url, directConfirmMs: DIRECT_CONFIRM_MS, ...(auth ? { admin: auth.admin, ...issued } : {}) })}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
