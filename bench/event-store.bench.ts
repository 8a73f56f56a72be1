/**
 * Benchmark of the Postgres event store against raw Postgres baselines on the same,
 * freshly created database. Progress goes to stderr; one JSON line with the figures,
 * the ratios and pass/fail per target goes to stdout.
 *
 *   npm run bench:event-store          (DATABASE_URL or postgres://baton:baton@127.0.0.1:5432/baton)
 *   BENCH_SECONDS=3 npm run bench:event-store
 *   BENCH_APPENDS_IN_FLIGHT=16 npm run bench:event-store   (the store's appendsInFlight; 16 = no group commit with 8 writers)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import type { NewEvent } from '@baton/contracts';
import { dropDatabase } from '@baton/testing';
import { createPostgresEventStore, type PostgresEventStore } from '../libs/event-store/src/index';

const ADMIN_URL = process.env.DATABASE_URL?.trim() || 'postgres://baton:baton@127.0.0.1:5432/baton';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP_MS = 400;
const APPENDS_IN_FLIGHT = process.env.BENCH_APPENDS_IN_FLIGHT === undefined ? undefined : Number(process.env.BENCH_APPENDS_IN_FLIGHT);

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

interface Run {
  /** operations per second */
  readonly opsPerSec: number;
  /** rows (events) per second */
  readonly rowsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ops: number;
  /** CPU per operation, in µs: this Node process, and the bench database's Postgres backends. Load-independent, unlike the timings. */
  readonly nodeCpuUsPerOp: number;
  readonly pgCpuUsPerOp: number;
}

const CLOCK_TICKS_PER_SECOND = 100;
let backendPids: () => Promise<number[]> = async () => [];

/** User + system CPU of the given processes, in µs (from /proc; 0 for a process that is gone). */
function procCpuUs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The backend exited; its CPU is lost to this figure.
    }
  }
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

function nodeCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

interface Case {
  readonly label: string;
  readonly workers: number;
  readonly rowsPerOp: number;
  readonly op: (worker: number, i: number) => Promise<unknown>;
}

/** Runs `op` in `workers` concurrent loops until `until`, recording each latency. */
async function drive(c: Case, until: number, samples: number[] | undefined): Promise<void> {
  await Promise.all(
    Array.from({ length: c.workers }, async (_, w) => {
      for (let i = 0; performance.now() < until; i++) {
        const t = performance.now();
        await c.op(w, i);
        samples?.push(performance.now() - t);
      }
    }),
  );
}

/**
 * Measures comparable cases in interleaved rounds (A B C A B C ...), so a burst of load
 * from elsewhere on the machine hits the baseline and the adapter alike.
 */
async function measureGroup(cases: readonly Case[], rounds = 8): Promise<Run[]> {
  for (const c of cases) await drive(c, performance.now() + WARMUP_MS, undefined);
  const samples = cases.map(() => [] as number[]);
  const elapsed = cases.map(() => 0);
  const nodeCpu = cases.map(() => 0);
  const pgCpu = cases.map(() => 0);
  const pids = await backendPids();
  const slice = (SECONDS * 1000) / rounds;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const start = performance.now();
      const node0 = nodeCpuUs();
      const pg0 = procCpuUs(pids);
      await drive(cases[k]!, start + slice, samples[k]);
      nodeCpu[k]! += nodeCpuUs() - node0;
      pgCpu[k]! += procCpuUs(pids) - pg0;
      elapsed[k]! += (performance.now() - start) / 1000;
    }
  }
  return cases.map((c, k) => {
    const s = samples[k]!.sort((a, b) => a - b);
    const run: Run = {
      opsPerSec: round(s.length / elapsed[k]!, 1),
      rowsPerSec: round((s.length * c.rowsPerOp) / elapsed[k]!, 1),
      p50Ms: round(pct(s, 50)),
      p99Ms: round(pct(s, 99)),
      ops: s.length,
      nodeCpuUsPerOp: round(nodeCpu[k]! / s.length, 1),
      pgCpuUsPerOp: round(pgCpu[k]! / s.length, 1),
    };
    log(
      `${c.label}: ${run.opsPerSec} ops/s, ${run.rowsPerSec} rows/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms (${run.ops} ops); CPU/op: node ${run.nodeCpuUsPerOp} µs, postgres ${run.pgCpuUsPerOp} µs`,
    );
    return run;
  });
}

const data = { title: 'Implement the login form', priority: 3, tags: ['frontend', 'auth'], estimate: { hours: 4 } };
const metadata: NewEvent['metadata'] = {
  occurredAt: '2026-01-01T00:00:00.000Z',
  correlationId: randomUUID(),
  causationId: randomUUID(),
  actor: { kind: 'agent', id: 'agent-7' },
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

function events(n: number): NewEvent[] {
  return Array.from({ length: n }, () => ({ type: 'TaskProgressed', data, metadata }));
}

/** The raw baselines and the adapter's appends, measured side by side on the same database. */
async function throughput(url: string, store: PostgresEventStore) {
  const setup = new Client({ connectionString: url });
  await setup.connect();
  await setup.query(`CREATE TABLE raw_events (id bigserial PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL)`);
  // What a naive event table must index besides the position: a stream's revisions (the
  // optimistic concurrency check) and the event ids (idempotency). No head, anchor, hash
  // chain or category index: shown beside the raw baseline, not instead of it.
  await setup.query(`CREATE TABLE raw_event_table (position bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL, revision bigint NOT NULL, type text NOT NULL,
    data jsonb NOT NULL, metadata jsonb NOT NULL, UNIQUE (stream_id, revision))`);
  await setup.end();
  const clients = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const d = JSON.stringify(data);
  const m = JSON.stringify(metadata);
  const insertOne = (c: Client, stream: string) =>
    c.query({ name: 'raw1', text: 'INSERT INTO raw_events (event_id, stream_id, data, metadata) VALUES ($1, $2, $3, $4)', values: [randomUUID(), stream, d, m] });
  const values100 = Array.from({ length: 100 }, (_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`).join(', ');
  const insert100 = (c: Client, stream: string) =>
    c.query({
      name: 'raw100',
      text: `INSERT INTO raw_events (event_id, stream_id, data, metadata) VALUES ${values100}`,
      values: Array.from({ length: 100 }, () => [randomUUID(), stream, d, m]).flat(),
    });
  const revisions = new Map<string, number>();
  const nextRevision = (stream: string, n: number) => {
    const r = revisions.get(stream) ?? 0;
    revisions.set(stream, r + n);
    return r;
  };
  const tableOne = (c: Client, stream: string) =>
    c.query({
      name: 'table1',
      text: 'INSERT INTO raw_event_table (event_id, stream_id, revision, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)',
      values: [randomUUID(), stream, nextRevision(stream, 1), 'TaskProgressed', d, m],
    });
  const tableValues100 = Array.from({ length: 100 }, (_, i) => `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}, $${i * 6 + 5}, $${i * 6 + 6})`).join(', ');
  const table100 = (c: Client, stream: string) => {
    const first = nextRevision(stream, 100);
    return c.query({
      name: 'table100',
      text: `INSERT INTO raw_event_table (event_id, stream_id, revision, type, data, metadata) VALUES ${tableValues100}`,
      values: Array.from({ length: 100 }, (_, i) => [randomUUID(), stream, first + i, 'TaskProgressed', d, m]).flat(),
    });
  };
  const tag = randomBytes(3).toString('hex');
  const one = events(1);
  const hundred = events(100);
  try {
    log('single writer: raw single-row commit vs append');
    const [rawSingle1, tableSingle1, oneStream1, manyStreams1] = await measureGroup([
      { label: 'raw single-row INSERT+commit, 1 connection', workers: 1, rowsPerOp: 1, op: () => insertOne(clients[0]!, 'raw-1') },
      { label: 'event-table single-row INSERT+commit, 1 connection', workers: 1, rowsPerOp: 1, op: () => tableOne(clients[0]!, 'table-1') },
      { label: 'append 1 event, one stream, 1 writer', workers: 1, rowsPerOp: 1, op: () => store.append(`bench${tag}-one`, one) },
      { label: 'append 1 event, many streams, 1 writer', workers: 1, rowsPerOp: 1, op: (_w, i) => store.append(`bench${tag}-m1x${i & 1023}`, one) },
    ]);
    log('8 writers: raw single-row commit on 8 connections vs 8 appenders');
    const [rawSingle8, tableSingle8, manyStreams8, oneStream8] = await measureGroup([
      { label: 'raw single-row INSERT+commit, 8 connections', workers: 8, rowsPerOp: 1, op: (w) => insertOne(clients[w]!, `raw-${w}`) },
      { label: 'event-table single-row INSERT+commit, 8 connections', workers: 8, rowsPerOp: 1, op: (w) => tableOne(clients[w]!, `table-${w}`) },
      { label: 'append 1 event, many streams, 8 writers', workers: 8, rowsPerOp: 1, op: (w, i) => store.append(`bench${tag}-m8x${w}x${i & 255}`, one) },
      { label: 'append 1 event, one stream, 8 writers', workers: 8, rowsPerOp: 1, op: () => store.append(`bench${tag}-one8`, one) },
    ]);
    log('batches: raw 100-row INSERT per commit vs 100 events per append');
    const [rawBatch100, tableBatch100, batch100] = await measureGroup([
      { label: 'raw 100-row INSERT per commit, 1 connection', workers: 1, rowsPerOp: 100, op: () => insert100(clients[0]!, 'raw-b') },
      { label: 'event-table 100-row INSERT per commit, 1 connection', workers: 1, rowsPerOp: 100, op: () => table100(clients[0]!, 'table-b') },
      { label: 'append 100 events per call, 1 writer', workers: 1, rowsPerOp: 100, op: (_w, i) => store.append(`bench${tag}-b${i & 63}`, hundred) },
    ]);
    return {
      raw: { single1: rawSingle1!, single8: rawSingle8!, batch100: rawBatch100! },
      eventTable: { single1: tableSingle1!, single8: tableSingle8!, batch100: tableBatch100! },
      append: { oneStream1: oneStream1!, manyStreams1: manyStreams1!, oneStream8: oneStream8!, manyStreams8: manyStreams8!, batch100: batch100! },
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/**
 * Idle lag: one append at a time, the next only after the subscriber handled the previous.
 * The subscriber uses its own store (pool and LISTEN connection), so it is woken by the
 * NOTIFY as a subscriber in another process would be, not by the in-process shortcut.
 */
async function subscriptionLag(store: PostgresEventStore, subscriberStore: PostgresEventStore): Promise<{ fromCallP50Ms: number; fromCallP99Ms: number; fromCommitP50Ms: number; fromCommitP99Ms: number; samples: number }> {
  const cat = `lag${randomBytes(3).toString('hex')}`;
  let resolveSeen: ((t: number) => void) | undefined;
  const sub = subscriberStore.subscribe({
    from: 'end',
    filter: { categories: [cat] },
    onEvent: () => resolveSeen?.(performance.now()),
  });
  const deadline = Date.now() + 10_000;
  while (!sub.isLive) {
    if (Date.now() > deadline) throw new Error('subscription did not go live');
    await new Promise((r) => setTimeout(r, 5));
  }
  const fromCall: number[] = [];
  const fromCommit: number[] = [];
  const n = 400;
  for (let i = 0; i < n; i++) {
    const seen = new Promise<number>((r) => (resolveSeen = r));
    const t0 = performance.now();
    const appended = store.append(`${cat}-${i & 15}`, events(1)).then(() => performance.now());
    const [tSeen, tDone] = await Promise.all([seen, appended]);
    if (i >= 20) {
      fromCall.push(tSeen - t0);
      fromCommit.push(Math.max(0, tSeen - tDone));
    }
    // Idle between appends, so each measures a subscriber waiting on a notification.
    await new Promise((r) => setTimeout(r, 2));
  }
  await sub.stop();
  fromCall.sort((a, b) => a - b);
  fromCommit.sort((a, b) => a - b);
  const r = {
    fromCallP50Ms: round(pct(fromCall, 50)),
    fromCallP99Ms: round(pct(fromCall, 99)),
    fromCommitP50Ms: round(pct(fromCommit, 50)),
    fromCommitP99Ms: round(pct(fromCommit, 99)),
    samples: fromCall.length,
  };
  log(`subscription lag, subscriber on another store (append call -> handler): p50 ${r.fromCallP50Ms} ms, p99 ${r.fromCallP99Ms} ms; (append resolved -> handler) p50 ${r.fromCommitP50Ms} ms, p99 ${r.fromCommitP99Ms} ms`);
  return r;
}

async function main(): Promise<void> {
  const started = performance.now();
  const name = `baton_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Pool({ connectionString: ADMIN_URL, max: 1 });
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  log(`database ${name} created; ${SECONDS}s per run`);
  // The bench database's backends (the baselines' clients and the store's pool), re-listed per group as pools grow.
  backendPids = async () => (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [name])).rows.map((r) => r.pid);
  let store: PostgresEventStore | undefined;
  let subscriber: PostgresEventStore | undefined;
  try {
    store = await createPostgresEventStore({
      connectionString: url.toString(),
      poolSize: 12,
      ...(APPENDS_IN_FLIGHT === undefined ? {} : { appendsInFlight: APPENDS_IN_FLIGHT }),
    });
    const { raw, eventTable, append } = await throughput(url.toString(), store);
    subscriber = await createPostgresEventStore({ connectionString: url.toString(), poolSize: 2 });
    const lag = await subscriptionLag(store, subscriber);
    const ratios = {
      singleP50VsRaw: round(append.oneStream1.p50Ms / raw.single1.p50Ms),
      singleP99VsRaw: round(append.oneStream1.p99Ms / raw.single1.p99Ms),
      batchedRowsVsRaw: round(append.batch100.rowsPerSec / raw.batch100.rowsPerSec),
      concurrent8VsRaw: round(append.manyStreams8.opsPerSec / raw.single8.opsPerSec),
    };
    // Beside the targets, not instead of them: the same figures against the naive event table.
    const ratiosVsEventTable = {
      singleP50: round(append.oneStream1.p50Ms / eventTable.single1.p50Ms),
      batchedRows: round(append.batch100.rowsPerSec / eventTable.batch100.rowsPerSec),
      concurrent8: round(append.manyStreams8.opsPerSec / eventTable.single8.opsPerSec),
    };
    const targets = {
      singleP50: { target: '<= 1.5x raw single-row commit p50', pass: ratios.singleP50VsRaw <= 1.5 },
      singleP99: { target: '<= 2x raw single-row commit p99', pass: ratios.singleP99VsRaw <= 2 },
      batched: { target: '>= 0.6x raw 100-row rows/s', pass: ratios.batchedRowsVsRaw >= 0.6 },
      concurrent8: { target: '>= 0.8x raw 8-connection commit rate', pass: ratios.concurrent8VsRaw >= 0.8 },
      // Lag = commit (the append's reply) -> handler; fromCall* also counts the append itself.
      subscriptionLagP99: { target: '<= 10 ms (append committed -> handler)', pass: lag.fromCommitP99Ms <= 10 },
    };
    const result = {
      bench: 'event-store',
      adapter: 'postgres',
      secondsPerRun: SECONDS,
      appendsInFlight: APPENDS_IN_FLIGHT ?? 'default',
      raw,
      eventTable,
      append,
      subscriptionLag: lag,
      ratios,
      ratiosVsEventTable,
      targets,
      pass: Object.values(targets).every((t) => t.pass),
      elapsedSeconds: round((performance.now() - started) / 1000, 1),
      // 1, 5 and 15 minute load averages at the end: the machine is shared, timings move with it.
      loadAverage: loadavg().map((l) => round(l, 2)),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await subscriber?.close();
    await store?.close();
    await dropDatabase(admin, name);
    await admin.end();
    log(`database ${name} dropped`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
