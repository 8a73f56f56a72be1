/**
 * Test-only entry point: runs one EventRelay in its own process so the crash test can
 * SIGKILL it. Started by event.relay.int.spec.ts with `node -r @swc-node/register`.
 *
 * Env: DATABASE_URL, NATS_URL, RELAY_NAME, RELAY_CATEGORY, CHECKPOINT_EVERY, CHECKPOINT_INTERVAL_MS.
 * Prints `READY` once subscribed; on SIGTERM stops cleanly and prints `STATS <json>`.
 */
import { Pool } from 'pg';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createPostgresEventStore } from '@baton/event-store';
import { connectNats } from '../nats-connection';
import { ensureEventStreams } from '../event-streams';
import { PostgresCheckpointStore } from '../checkpoint.store';
import { EventRelay } from '../event.relay';

function required(name: string): string {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') {
    process.stderr.write(`relay.process: ${name} is not set\n`);
    process.exit(2);
  }
  return v.trim();
}

async function main(): Promise<void> {
  const databaseUrl = required('DATABASE_URL');
  const name = required('RELAY_NAME');
  const category = required('RELAY_CATEGORY');
  const quiet = { log: () => undefined, warn: (m: unknown) => process.stderr.write(`${String(m)}\n`), error: (m: unknown) => process.stderr.write(`${String(m)}\n`) };
  const store = await createPostgresEventStore({ connectionString: databaseUrl });
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const checkpoints = new PostgresCheckpointStore(pool);
  await checkpoints.ensureSchema();
  const { nc, drain } = await connectNats({ url: required('NATS_URL'), name, logger: quiet });
  await ensureEventStreams(await jetstreamManager(nc));
  const relay = new EventRelay({
    name,
    store,
    js: jetstream(nc),
    checkpoints,
    filter: { categories: [category] },
    checkpointEvery: Number(process.env.CHECKPOINT_EVERY ?? 100),
    checkpointIntervalMs: Number(process.env.CHECKPOINT_INTERVAL_MS ?? 1000),
    logger: quiet,
  });
  await relay.start();
  process.stdout.write('READY\n');
  process.once('SIGTERM', () => {
    void (async () => {
      await relay.stop();
      process.stdout.write(`STATS ${JSON.stringify(relay.lag())}\n`);
      await drain();
      await store.close();
      await pool.end();
      process.exit(0);
    })();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`relay.process failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
