/**
 * Runs one EventRelay in its own process, so the crash test can SIGKILL it and bench:relay
 * can read its CPU and count its Postgres round trips apart from everything else. Started
 * with `node -r @swc-node/register` by event.relay.int.spec.ts and bench/relay.bench.ts.
 *
 * Env: DATABASE_URL, NATS_URL, RELAY_NAME, RELAY_CATEGORY, CHECKPOINT_EVERY, CHECKPOINT_INTERVAL_MS,
 * RELAY_WINDOW (publishes awaiting their PubAck), RELAY_READ_BATCH (events per store read),
 * RELAY_HOLD=1 (connect, print `READY`, and start relaying only on SIGHUP, printing `STARTED`).
 * Prints `READY` once subscribed (or connected, with RELAY_HOLD); on SIGTERM stops cleanly
 * and prints `STATS <json>`.
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

function optionalInt(name: string): number | undefined {
  const v = process.env[name]?.trim();
  return v === undefined || v === '' ? undefined : Number(v);
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
  const window = optionalInt('RELAY_WINDOW');
  const readBatchSize = optionalInt('RELAY_READ_BATCH');
  const relay = new EventRelay({
    name,
    store,
    js: jetstream(nc),
    checkpoints,
    filter: { categories: [category] },
    checkpointEvery: optionalInt('CHECKPOINT_EVERY') ?? 100,
    checkpointIntervalMs: optionalInt('CHECKPOINT_INTERVAL_MS') ?? 1000,
    ...(window !== undefined ? { window } : {}),
    ...(readBatchSize !== undefined ? { readBatchSize } : {}),
    logger: quiet,
  });
  if (process.env.RELAY_HOLD === '1') {
    process.once('SIGHUP', () => {
      void relay.start().then(() => process.stdout.write('STARTED\n'));
    });
  } else {
    await relay.start();
  }
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
