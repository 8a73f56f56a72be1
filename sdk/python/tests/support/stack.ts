// The Baton stack for the Python SDK's integration tests, started the way the e2e tier starts it
// (e2e/support): a private nats-server, a fresh database, and the compiled agent-registry,
// handoff-validator and scheduler as processes. Run by tests/conftest.py:
//
//   node -r @swc-node/register sdk/python/tests/support/stack.ts
//
// prints one JSON line `{"natsUrl", "databaseUrl"}` once every service is ready, and stops
// everything when its stdin closes (the pytest session ended, or died) or on SIGTERM.
import path from 'node:path';
import { createTestDatabase, resolveInfra } from '@baton/testing';
import { startE2eNats } from '../../../../e2e/support/private-nats';
import { repoRoot, startService, type RunningProcess } from '../../../../e2e/support/stack';

async function main(): Promise<void> {
  const infra = await resolveInfra();
  process.env['TEST_DATABASE_URL'] ??= infra.databaseUrl;
  process.env['TEST_NATS_URL'] ??= infra.natsUrl;
  const db = await createTestDatabase('py_sdk');
  const nats = await startE2eNats();
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
  try {
    const common = { DATABASE_URL: db.url, NATS_URL: nats.url };
    const handoffs = path.join(repoRoot, 'examples/handoffs');
    services.push(await startService('agent-registry', { ...common, HEARTBEAT_WINDOW_MS: '10000' }));
    services.push(await startService('handoff-validator', { ...common, HANDOFFS_DIR: handoffs }));
    services.push(await startService('scheduler', { ...common, HANDOFFS_DIR: handoffs, SCHEDULER_DISPATCH_POLL_MS: '300', SCHEDULER_TIMER_POLL_MS: '200' }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    await stop();
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ natsUrl: nats.url, databaseUrl: db.url })}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
