/**
 * bench:relay: what relaying one committed event from the Postgres event store to JetStream
 * costs. Appends a backlog of events to a fresh database, then runs the relay (its own
 * process, as in a service) against a private nats-server until every event is in the
 * stream, and prints one JSON line: events/s relayed, NATS messages per event (the server's
 * /varz deltas; the bench itself only talks to the monitor port while measuring), Postgres
 * round trips per event (every `pg` query of the relay process), and CPU per event of the
 * relay, the nats-server and the database's Postgres backends. Progress goes to stderr.
 *
 *   npm run bench:relay
 *   npm run bench:relay -- --events 20000 --streams 1000 --window 256 --read-batch 1000 --checkpoint-every 1000
 *
 * `--profile` also writes a V8 CPU profile of the relay and prints where its CPU went while relaying (stderr).
 * `--window 1` publishes one event at a time, awaiting each PubAck (the relay before the
 * pipelined window). Env: DATABASE_URL (admin URL, default postgres://baton:baton@127.0.0.1:5432/baton).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import type { NewEvent } from '@baton/contracts';
import { createPostgresEventStore } from '../libs/event-store/src/index';
import { formatSummary, summarizeCpuProfile, type CpuProfile } from './cpuprofile-summary';
import { intFlag } from './flags';
import { varz } from './nats-accounting';
import type { PgCounterSnapshot } from './pg-query-counter';
import {
  ROOT,
  cleanUpOnSignal,
  cpuMsOf,
  createBenchDatabase,
  log,
  monoUs,
  pgBackendCpu,
  pgCpuDeltaMs,
  round,
  startChild,
  startPrivateNats,
  stopChild,
  waitUntil,
} from './support';

function parseCli() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      streams: { type: 'string' },
      window: { type: 'string' },
      'read-batch': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      profile: { type: 'boolean' },
    },
  });
  return {
    events: intFlag('events', values.events, 20_000),
    streams: intFlag('streams', values.streams, 1000),
    window: intFlag('window', values.window, undefined),
    readBatch: intFlag('read-batch', values['read-batch'], undefined),
    checkpointEvery: intFlag('checkpoint-every', values['checkpoint-every'], undefined),
    profile: values.profile === true,
  };
}

const CATEGORY = 'benchrelay';
const APPEND_WORKERS = 16;

/** Appends `events` events, one per append, round-robin over `streams` streams, so neighbours in the global order belong to different streams (as concurrent commands leave them). */
async function appendBacklog(url: string, events: number, streams: number): Promise<void> {
  const store = await createPostgresEventStore({ connectionString: url, poolSize: APPEND_WORKERS });
  try {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: APPEND_WORKERS }, async () => {
        // Each worker owns the streams w, w + W, … so a stream's appends never race.
        for (;;) {
          const i = next++;
          if (i >= events) return;
          const event: NewEvent = { type: 'ThingHappened', data: { n: i, note: 'a payload about the size of a task event' }, metadata: { occurredAt: new Date().toISOString(), correlationId: `c-${i % streams}` } };
          await store.append(`${CATEGORY}-${i % streams}`, [event]);
        }
      }),
    );
    log(`appended ${events} events over ${streams} streams in ${Math.round(performance.now() - t0)} ms`);
  } finally {
    await store.close();
  }
}

async function jetStreamMessages(monitor: string): Promise<number> {
  return ((await (await fetch(`${monitor}/jsz`)).json()) as { messages: number }).messages;
}

async function main(): Promise<void> {
  const cli = parseCli();
  cleanUpOnSignal();
  const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
  const nats = await startPrivateNats(dir);
  const db = await createBenchDatabase(`bench_relay_${Date.now()}`);
  const counterFile = join(dir, 'pg-counter.json');
  let relay: ReturnType<typeof startChild> | undefined;
  const pool = new Pool({ connectionString: db.url, max: 1 });
  try {
    await appendBacklog(db.url, cli.events, cli.streams);
    const profDir = join(dir, 'prof');
    const profArgs = cli.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=200'] : [];
    relay = startChild('relay', ['-r', '@swc-node/register', '-r', join(ROOT, 'bench/pg-query-counter.ts'), ...profArgs, 'libs/messaging/src/testing/relay.process.ts'], {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      RELAY_NAME: 'relay-bench',
      RELAY_CATEGORY: CATEGORY,
      RELAY_HOLD: '1',
      CHECKPOINT_INTERVAL_MS: '1000',
      BENCH_PG_COUNTER_FILE: counterFile,
      ...(cli.window !== undefined ? { RELAY_WINDOW: String(cli.window) } : {}),
      ...(cli.readBatch !== undefined ? { RELAY_READ_BATCH: String(cli.readBatch) } : {}),
      ...(cli.checkpointEvery !== undefined ? { CHECKPOINT_EVERY: String(cli.checkpointEvery) } : {}),
    });
    const child = relay;
    await waitUntil('the relay process to connect', 60_000, async () => {
      if (child.proc.exitCode !== null) throw new Error(`relay exited:\n${child.tail.join('\n')}`);
      return child.lines.includes('READY');
    }, 20);
    const pgSnap = async (): Promise<PgCounterSnapshot> => {
      const before = existsSync(counterFile) ? (JSON.parse(readFileSync(counterFile, 'utf8')) as PgCounterSnapshot).snap : 0;
      child.proc.kill('SIGUSR2');
      return waitUntil('the relay pg counter snapshot', 5000, async () => {
        if (!existsSync(counterFile)) return undefined;
        const s = JSON.parse(readFileSync(counterFile, 'utf8')) as PgCounterSnapshot;
        return s.snap > before ? s : undefined;
      }, 5);
    };
    const pg0 = await pgSnap();
    const pgCpu0 = await pgBackendCpu(pool);
    const v0 = await varz(nats.monitor);
    const relayCpu0 = cpuMsOf(child.proc.pid)!;
    const natsCpu0 = cpuMsOf(nats.proc.pid)!;
    const t0 = performance.now();
    const t0Us = monoUs();
    child.proc.kill('SIGHUP');
    await waitUntil(`all ${cli.events} events in JetStream`, 600_000, async () => {
      if (child.proc.exitCode !== null) throw new Error(`relay exited:\n${child.tail.join('\n')}`);
      return (await jetStreamMessages(nats.monitor)) >= cli.events;
    }, 5);
    const elapsedMs = performance.now() - t0;
    const t1Us = monoUs();
    const relayCpuMs = cpuMsOf(child.proc.pid)! - relayCpu0;
    const natsCpuMs = cpuMsOf(nats.proc.pid)! - natsCpu0;
    const v1 = await varz(nats.monitor);
    const pg1 = await pgSnap();
    const pgCpuMs = pgCpuDeltaMs(pgCpu0, await pgBackendCpu(pool));
    // Stopping saves the last checkpoint (not counted above: one round trip per run, not per event).
    await stopChild(child, 30_000);
    const statsLine = child.lines.find((l) => l.startsWith('STATS '));
    const stats = statsLine ? (JSON.parse(statsLine.slice('STATS '.length)) as { published: number; duplicates: number }) : undefined;
    if (cli.profile) {
      for (const f of readdirSync(profDir).filter((x) => x.endsWith('.cpuprofile'))) {
        const profile = JSON.parse(readFileSync(join(profDir, f), 'utf8')) as CpuProfile;
        log(`relay CPU while relaying:\n${formatSummary(summarizeCpuProfile(profile, { fromUs: t0Us, toUs: t1Us, top: 30 }))}`);
      }
    }
    const stored = await jetStreamMessages(nats.monitor);
    if (stored !== cli.events) throw new Error(`JetStream holds ${stored} messages, expected ${cli.events}`);
    const n = cli.events;
    const result = {
      bench: 'relay',
      events: n,
      streams: cli.streams,
      settings: { window: cli.window ?? 'default', readBatch: cli.readBatch ?? 'default', checkpointEvery: cli.checkpointEvery ?? 'default' },
      eventsPerSec: round(n / (elapsedMs / 1000), 0),
      elapsedMs: round(elapsedMs, 0),
      natsMsgsPerEvent: round((v1.inMsgs - v0.inMsgs + (v1.outMsgs - v0.outMsgs)) / n),
      natsInMsgsPerEvent: round((v1.inMsgs - v0.inMsgs) / n),
      natsOutMsgsPerEvent: round((v1.outMsgs - v0.outMsgs) / n),
      pgRoundTripsPerEvent: round((pg1.total.calls - pg0.total.calls) / n, 4),
      pgRoundTrips: Object.fromEntries(
        Object.entries(pg1.byStatement)
          .map(([k, v]) => [k, v.calls - (pg0.byStatement[k]?.calls ?? 0)] as const)
          .filter(([, c]) => c > 0),
      ),
      relayCpuUsPerEvent: round((relayCpuMs * 1000) / n, 1),
      natsServerCpuUsPerEvent: round((natsCpuMs * 1000) / n, 1),
      pgBackendCpuUsPerEvent: round((pgCpuMs * 1000) / n, 1),
      published: stats?.published,
      duplicates: stats?.duplicates,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await stopChild(relay, 5000);
    await pool.end();
    await nats.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
