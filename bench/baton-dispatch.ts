/**
 * Baton's part of bench:dispatch: the scheduler as its own process (services/scheduler/dist/main.js,
 * so its RSS and CPU are its own), driven only through its NATS protocol (plain JSON commands and
 * the agent inbox), with agent-registry events published by the bench (as the scheduler's tests
 * do; no agent-registry process). Phases: raw NATS and Postgres baselines, idle submit → handler
 * latency, sustained offered rates, a wire-tapped message accounting, and a drain of N queued
 * tasks by one agent process (bench/dispatch-agent.ts) with CPU of the scheduler, the Postgres
 * backends and nats-server, RSS, events and Postgres round trips per lifecycle. Every phase is
 * bounded by the budget it is given.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Client, Pool } from 'pg';
import { parseNotice } from '../libs/event-store/src/index';
import { formatSummary, summarizeCpuProfile, type CpuProfile, type CpuProfileSummary } from './cpuprofile-summary';
import { intFlag } from './flags';
import { otherConnections, subjectClass, varz } from './nats-accounting';
import type { MemorySnapshot } from './memory-probe';
import type { PgCounterSnapshot } from './pg-query-counter';
import {
  ROOT,
  cpuMsOf,
  createBenchDatabase,
  log,
  monoUs,
  pgBackendCpu,
  pgCpuDeltaMs,
  round,
  rssOf,
  sleep,
  startChild,
  startPrivateNats,
  startService,
  stats,
  stopChild,
  waitUntil,
  type Budget,
  type Child,
  type PrivateNats,
} from './support';

const INBOX_STREAM = 'BATON_AGENT_INBOX';
const EVENTS_STREAM = 'BATON_EVENTS';
const SUBMIT_BATCH = 500;
const BASELINE_N = 2000;
/** Tasks allowed to wait for their handler during a rate phase before it counts as saturated. */
const SATURATION_BACKLOG = 150;

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface BatonDispatchOptions {
  readonly tasks: number;
  readonly idle: number;
  readonly rates: readonly number[];
  readonly rateSeconds: number;
  readonly accounting: number;
  readonly profile: boolean;
  /** NATS_URL / NATS_MONITOR_URL of a shared server instead of a private one. */
  readonly sharedNats?: { readonly url: string; readonly monitor: string };
  readonly budget: Budget;
  /** Share of the budget left at the start that this part may use. */
  readonly share: number;
}

async function registerAgent(nc: NatsConnection, agentId: string, capabilities: string[], maxConcurrency: number): Promise<void> {
  const streamId = `agent-${agentId}`;
  const event = {
    eventId: randomUUID(),
    type: 'AgentRegistered',
    schemaVersion: 1,
    streamId,
    revision: 0,
    position: { commit: Date.now(), prepare: 0 },
    data: { agentId, role: 'bench', capabilities, maxConcurrency, peers: [], registeredAt: new Date().toISOString() },
    metadata: { occurredAt: new Date().toISOString() },
    prevHash: '0'.repeat(64),
    hash: createHash('sha256').update(`${streamId}/0`).digest('hex'),
  };
  await jetstream(nc).publish('baton.evt.agent.registered', JSON.stringify(event), { msgID: event.eventId });
}

/** Which kind of bus traffic a message is, for the per-task message accounting. */

interface Received {
  readonly perf: number;
  readonly wall: number;
  readonly assignedAt: string;
}


type SettledRss = NonNullable<ReturnType<typeof rssOf>> & { readonly afterMs: number };

/**
 * A service's RSS once it has been quiet long enough to give back the pages a burst freed
 * (BATON_MEMORY_RELEASE_IDLE_MS, 2 s by default; libs/messaging/src/idle-memory.ts). The bench's
 * services log at warn, so the release shows as RSS falling: read every 250 ms until RSS is 8 MB
 * or more below `afterBurst` and has held for 1 s, or 8 s have passed.
 */
async function settledRss(pid: number | undefined, afterBurst: ReturnType<typeof rssOf>): Promise<SettledRss | undefined> {
  const from = performance.now();
  let last = rssOf(pid);
  let steadySince = from;
  while (last && afterBurst && performance.now() - from < 8000) {
    await sleep(250);
    const r = rssOf(pid);
    if (!r) break;
    if (r.rssMb < last.rssMb - 0.5) steadySince = performance.now();
    last = r;
    if (r.rssMb <= afterBurst.rssMb - 8 && performance.now() - steadySince >= 1000) break;
  }
  return last && { ...last, afterMs: Math.round(performance.now() - from) };
}

/** Runs Baton's dispatch phases; the figures go back to bench/dispatch.bench.ts. */
export async function runBatonDispatch(opts: BatonDispatchOptions) {
  const started = performance.now();
  const { tasks: TASKS, idle: IDLE, rates: RATES, rateSeconds: RATE_SECONDS, accounting: ACCOUNTING, profile: PROFILE } = opts;
  const SHARED_NATS = opts.sharedNats !== undefined;
  // This part's own budget, from the overall one: phases that would overrun are cut and reported as such.
  const BUDGET_MS = Math.max(30_000, opts.share * opts.budget.leftMs());
  /** Longest time the idle phase, each rate phase's wait and the message accounting may take. */
  const PHASE_CAP_MS = Math.max(5000, Math.min(60_000, 0.08 * BUDGET_MS));
  // The drain is the headline figure: the phases before it stop early rather than eat its half.
  const preDrainDeadline = started + 0.5 * BUDGET_MS;
  const tag = randomBytes(4).toString('hex');
  const db = await createBenchDatabase(`baton_bench_dispatch_${tag}`);
  const dbUrl = db.url;
  const tmp = mkdtempSync(join(tmpdir(), 'baton-bench-dispatch-'));
  const profDir = join(tmp, 'cpuprofile');
  const counterFile = join(tmp, 'pg-counter.json');
  const memoryFile = join(tmp, 'memory.json');
  // BENCH_HEAP_SNAPSHOT=1: the scheduler writes a V8 heap snapshot right after the end-of-drain
  // RSS reading; =queued: when the drain's tasks are all queued, before the agent registers
  // (diagnosis only: taking one costs seconds and memory, so the drain's figures are then not comparable).
  const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT === '1' || process.env.BENCH_HEAP_SNAPSHOT === 'queued';
  const HEAP_SNAPSHOT_QUEUED = process.env.BENCH_HEAP_SNAPSHOT === 'queued';
  log(`baton: database ${db.name} created; tasks ${TASKS}, idle ${IDLE}, rates ${RATES.join('/')} per s for ${RATE_SECONDS}s, budget ${round(BUDGET_MS / 1000, 0)} s${PROFILE ? ', scheduler under --cpu-prof' : ''}; tmp ${tmp}`);

  const latAgent = `bench-lat-${tag}`;
  const drainAgent = `bench-drain-${tag}`;
  const latCap = `bench-lat-${tag}`;
  const drainCap = `bench-drain-${tag}`;
  const consumerName = `bench-${tag}`;

  let scheduler: Child | undefined;
  let agent: Child | undefined;
  const conns: NatsConnection[] = [];
  let pool: Pool | undefined;
  let listener: Client | undefined;
  let jsm: JetStreamManager | undefined;
  let schedulerPid: number | undefined;
  let natsServer: PrivateNats | undefined;
  let NATS_URL = opts.sharedNats?.url ?? '';
  let MONITOR_URL = opts.sharedNats?.monitor ?? '';
  try {
    if (SHARED_NATS) {
      const others = (await otherConnections(MONITOR_URL, `bench-dispatch-${tag}`)).filter((n) => n === 'scheduler');
      if (others.length > 0) throw new Error(`another scheduler is connected to ${NATS_URL}; it would take some of the bench's commands (run without --shared-nats)`);
    } else {
      natsServer = await startPrivateNats(join(tmp, 'nats'));
      NATS_URL = natsServer.url;
      MONITOR_URL = natsServer.monitor;
      log(`private nats-server on ${NATS_URL} (monitor ${MONITOR_URL})`);
    }
    pool = new Pool({ connectionString: dbUrl, max: 4 });
    const profileStartUs = monoUs();
    scheduler = await startService(
      'scheduler',
      { DATABASE_URL: dbUrl, NATS_URL, SCHEDULER_CONSUMER_NAME: consumerName, SCHEDULER_AGENT_EVENTS_FROM: 'new', BENCH_PG_COUNTER_FILE: counterFile, BENCH_MEMORY_FILE: memoryFile },
      [
        '-r',
        join(ROOT, 'bench/pg-query-counter.ts'),
        // A diagnostic preload (bench/README.md, BENCH_PRELOAD), e.g. bench/timing-probe.ts.
        ...(process.env.BENCH_PRELOAD ? ['-r', resolve(process.env.BENCH_PRELOAD)] : []),
        '-r',
        join(ROOT, 'bench/memory-probe.ts'),
        ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'] : []),
        ...(HEAP_SNAPSHOT ? ['--heapsnapshot-signal=SIGWINCH', `--diagnostic-dir=${tmp}`] : []),
        // BENCH_SCHEDULER_NODE_ARGS: Node/V8 options to try on the scheduler (after the start script's, so they win).
        ...(process.env.BENCH_SCHEDULER_NODE_ARGS?.split(/\s+/).filter((a) => a !== '') ?? []),
      ],
    );
    schedulerPid = scheduler.proc.pid;
    const heapSnapshot = async (): Promise<void> => {
      const before = new Set(readdirSync(tmp));
      process.kill(schedulerPid!, 'SIGWINCH');
      const snapshot = await waitUntil('the scheduler heap snapshot', 120_000, async () => {
        const f = readdirSync(tmp).find((n) => n.endsWith('.heapsnapshot') && !before.has(n));
        // V8 writes the file in one go; it is complete once its size stops changing.
        if (f === undefined) return undefined;
        const size = statSync(join(tmp, f)).size;
        await sleep(1000);
        return size > 0 && statSync(join(tmp, f)).size === size ? join(tmp, f) : undefined;
      }, 500).catch(() => undefined);
      log(`  heap snapshot: ${snapshot ?? 'not written'}`);
    };
    /** SIGUSR2 to the scheduler, then the next snapshot its preload writes to `file` (numbered by `snap`). */
    const snapshotOnSignal = async <T extends { readonly snap: number }>(file: string, what: string): Promise<T> => {
      const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T).snap : 0;
      process.kill(schedulerPid!, 'SIGUSR2');
      return waitUntil(what, 5000, async () => {
        if (!existsSync(file)) return undefined;
        const s = JSON.parse(readFileSync(file, 'utf8')) as T;
        return s.snap > before ? s : undefined;
      }, 10);
    };
    /** The scheduler's memory as bench/memory-probe.ts reads it (undefined if it does not answer in 5 s). */
    const memorySnap = (): Promise<MemorySnapshot | undefined> => snapshotOnSignal<MemorySnapshot>(memoryFile, 'the scheduler memory reading').catch(() => undefined);
    log(`scheduler ready (pid ${schedulerPid}) after ${round((performance.now() - started) / 1000, 1)} s`);
    await sleep(500);
    const schedulerRssAtReady = rssOf(schedulerPid);
    const schedulerMemoryAtReady = await memorySnap();

    const connName = `bench-dispatch-${tag}`;
    const nc = await connect({ servers: NATS_URL, name: `${connName}-client` });
    const anc = await connect({ servers: NATS_URL, name: `${connName}-agent` });
    const rnc = await connect({ servers: NATS_URL, name: `${connName}-responder` });
    const wnc = await connect({ servers: NATS_URL, name: `${connName}-wiretap` });
    conns.push(nc, anc, rnc, wnc);
    jsm = await jetstreamManager(nc);

    // Commit marks: the event store NOTIFYs `baton_es_appended` with the commit's transaction id.
    const notes: { tx: number; perf: number }[] = [];
    listener = new Client({ connectionString: dbUrl });
    await listener.connect();
    // The payload is `<commit>` or `<commit>:<categories>` (commit-notice.ts); a notice without a commit is skipped.
    listener.on('notification', (n) => {
      const { commit } = parseNotice(n.payload);
      if (commit !== undefined) notes.push({ tx: commit, perf: performance.now() });
    });
    await listener.query('LISTEN baton_es_appended');

    // ---------------------------------------------------------------- baselines
    log(`baselines: ${BASELINE_N} NATS request/reply round trips, ${BASELINE_N} Postgres single-row INSERT+commit`);
    const echoSubject = `bench.${tag}.echo`;
    rnc.subscribe(echoSubject, { callback: (_e, m) => void m.respond(m.data) });
    await rnc.flush();
    const echoBody = enc.encode(JSON.stringify({ commandId: randomUUID(), data: { taskId: 'x'.repeat(40), action: 'bench', requirement: { capabilities: ['c'] } } }));
    const natsRtt: number[] = [];
    for (let i = 0; i < BASELINE_N + 200; i++) {
      const t = performance.now();
      await nc.request(echoSubject, echoBody, { timeout: 5000 });
      if (i >= 200) natsRtt.push(performance.now() - t);
    }
    const pg = new Client({ connectionString: dbUrl });
    await pg.connect();
    await pg.query('CREATE TABLE bench_raw (id bigserial PRIMARY KEY, task_id text NOT NULL, data jsonb NOT NULL)');
    const pgInsert: number[] = [];
    for (let i = 0; i < BASELINE_N + 200; i++) {
      const t = performance.now();
      await pg.query({ name: 'ins', text: 'INSERT INTO bench_raw (task_id, data) VALUES ($1, $2)', values: [`t-${i}`, '{"a":1}'] });
      if (i >= 200) pgInsert.push(performance.now() - t);
    }
    await pg.end();
    const baselines = { natsRequestReply: stats(natsRtt), postgresInsertCommit: stats(pgInsert) };
    log(`raw NATS RTT p50 ${baselines.natsRequestReply.p50Ms} ms p99 ${baselines.natsRequestReply.p99Ms}; raw PG insert+commit p50 ${baselines.postgresInsertCommit.p50Ms} p99 ${baselines.postgresInsertCommit.p99Ms}`);

    // ---------------------------------------------------------------- latency agent (in this process, same clock)
    await registerAgent(nc, latAgent, [latCap], 1_000_000);
    await waitUntil('the latency agent in the scheduler', 15_000, async () => {
      const r = await pool!.query('SELECT online FROM scheduler.agents WHERE agent_id = $1', [latAgent]);
      return r.rows[0]?.online === true;
    });
    await jsm.consumers.add(INBOX_STREAM, {
      durable_name: `agent-${latAgent}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `baton.agent.${latAgent}.inbox`,
      max_ack_pending: 10_000,
    });
    const received = new Map<string, Received>();
    const waiters = new Map<string, (r: Received) => void>();
    let lifecycleErrors = 0;
    let firstLifecycleError: string | undefined;
    const lifecycles = new Map<string, Promise<void>>();
    const agentCommand = async (name: string, data: unknown): Promise<void> => {
      const m = await anc.request(`baton.cmd.scheduler.${name}`, enc.encode(JSON.stringify({ commandId: randomUUID(), data })), { timeout: 30_000 });
      const reply = JSON.parse(dec.decode(m.data)) as { ok: boolean; error?: { code: string; message: string } };
      if (!reply.ok) throw new Error(`${name}: ${reply.error?.code}: ${reply.error?.message}`);
    };
    // One assignment reaching the agent, by the inbox or as the reply of its waiting await-assignment (as libs/agent-sdk does).
    const handleAssignment = (perf: number, a: { taskId: string; leaseEpoch: number; assignedAt: string }): void => {
      if (received.has(a.taskId)) return;
      const r: Received = { perf, wall: performance.timeOrigin + perf, assignedAt: a.assignedAt };
      received.set(a.taskId, r);
      waiters.get(a.taskId)?.(r);
      const report = { taskId: a.taskId, agentId: latAgent, leaseEpoch: a.leaseEpoch };
      lifecycles.set(
        a.taskId,
        // Accepting is optional: the completion records the acceptance (docs/messaging.md).
        agentCommand('complete-task', { ...report, outputs: {} }).catch((err: unknown) => {
          lifecycleErrors++;
          firstLifecycleError ??= (err as Error).message;
        }),
      );
    };
    const latMessages = await (await jetstream(anc).consumers.get(INBOX_STREAM, `agent-${latAgent}`)).consume({ max_messages: 1000 });
    void (async () => {
      for await (const m of latMessages) {
        const perf = performance.now();
        handleAssignment(perf, JSON.parse(dec.decode(m.data)) as { taskId: string; leaseEpoch: number; assignedAt: string });
        m.ack();
      }
    })();
    // The agent's long polls (as libs/agent-sdk keeps them): BENCH_AWAIT requests waiting at once, default 16; 0 leaves the inbox alone.
    const awaitParallel = intFlag('BENCH_AWAIT', process.env.BENCH_AWAIT, 16, 0);
    for (let k = 0; k < awaitParallel; k++) {
      void (async () => {
        while (!anc.isClosed()) {
          try {
            const m = await anc.request('baton.cmd.scheduler.await-assignment', enc.encode(JSON.stringify({ commandId: randomUUID(), data: { agentId: latAgent, waitMs: 20_000 } })), { timeout: 25_000 });
            const perf = performance.now();
            const reply = JSON.parse(dec.decode(m.data)) as { ok: boolean; data?: { assignment: { taskId: string; leaseEpoch: number; assignedAt: string } | null } };
            if (reply.ok && reply.data?.assignment) handleAssignment(perf, reply.data.assignment);
          } catch {
            if (!anc.isClosed()) await sleep(100);
          }
        }
      })();
    }
    const submitBody = (taskId: string, cap: string) =>
      enc.encode(JSON.stringify({ commandId: randomUUID(), data: { taskId, action: 'bench', requirement: { capabilities: [cap] }, priority: 'P1', inputs: { n: 1 } } }));
    const submitted = new Map<string, number>();
    const submit = async (taskId: string, cap: string, conn: NatsConnection = nc): Promise<void> => {
      const body = submitBody(taskId, cap);
      submitted.set(taskId, performance.now());
      const m = await conn.request('baton.cmd.scheduler.submit-task', body, { timeout: 60_000 });
      const reply = JSON.parse(dec.decode(m.data)) as { ok: boolean; error?: { code: string; message: string } };
      if (!reply.ok) throw new Error(`submit-task: ${reply.error?.code}: ${reply.error?.message}`);
    };
    const handlerStarted = (taskId: string, timeoutMs: number): Promise<Received> => {
      const have = received.get(taskId);
      if (have) return Promise.resolve(have);
      return new Promise((res, rej) => {
        const t = setTimeout(() => {
          waiters.delete(taskId);
          rej(new Error(`task ${taskId} reached no handler in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(taskId, (r) => {
          clearTimeout(t);
          waiters.delete(taskId);
          res(r);
        });
      });
    };

    // ---------------------------------------------------------------- idle: one at a time
    const idleIds: string[] = [];
    const runIdle = async (n: number, phase: string, record: boolean, maxMs: number) => {
      const until = Math.min(performance.now() + maxMs, preDrainDeadline);
      for (let i = 0; i < n && performance.now() < until; i++) {
        const taskId = `b${tag}-${phase}-${i}`;
        const seen = handlerStarted(taskId, 10_000);
        await submit(taskId, latCap);
        await seen;
        await lifecycles.get(taskId);
        if (record) idleIds.push(taskId);
        // Let the projection, relay and dispatcher settle, so the next one starts from idle.
        await sleep(5);
      }
    };
    log('warm-up: 100 tasks one at a time (at most 8 s)');
    await runIdle(100, 'warm', false, 8000);
    log(`idle: ${IDLE} tasks one at a time (at most ${PHASE_CAP_MS / 1000} s)`);
    await runIdle(IDLE, 'idle', true, PHASE_CAP_MS);
    if (idleIds.length < IDLE) log(`  idle phase cut at ${idleIds.length} tasks (time cap)`);

    // ---------------------------------------------------------------- sustained rates (open loop)
    const rateIds = new Map<number, string[]>();
    const rateMeta: Record<
      string,
      {
        offered: number;
        sentPerSec: number;
        sendLagP99Ms: number;
        sent: number;
        saturatedAfterMs: number | null;
        missedAfter10s: number;
        cpuMsPerTask: { scheduler?: number; postgresBackends?: number; natsServer?: number };
        pgRoundTripsPerTask: number | undefined;
        topStatementsPerTask: string[];
      }
    > = {};
    for (const rate of RATES) {
      if (performance.now() + RATE_SECONDS * 1000 > preDrainDeadline) {
        log(`sustained: ${rate}/s skipped (it would run into the drain's share of the budget)`);
        continue;
      }
      const total = Math.round(rate * RATE_SECONDS);
      const ids: string[] = [];
      const lag: number[] = [];
      const inflight: Promise<unknown>[] = [];
      log(`sustained: ${rate}/s for ${RATE_SECONDS} s (${total} tasks)`);
      // CPU per task at this rate (the send window and the settling after it, which finishes its work).
      const rateCpu = async () => ({
        scheduler: cpuMsOf(schedulerPid),
        nats: natsServer ? cpuMsOf(natsServer.proc.pid) : undefined,
        pg: await pgBackendCpu(pool!),
        counter: await snapshotOnSignal<PgCounterSnapshot>(counterFile, 'the scheduler pg counter snapshot'),
      });
      const rateCpu0 = await rateCpu();
      const t0 = performance.now();
      let i = 0;
      let handledN = 0;
      let saturatedAfterMs: number | null = null;
      while (i < total) {
        const now = performance.now();
        // Saturated: more than SATURATION_BACKLOG tasks wait for their handler. Stop offering
        // load (and say so) rather than pile up a backlog that would spill into later phases.
        if (i - handledN > SATURATION_BACKLOG) {
          saturatedAfterMs = round(now - t0, 0);
          log(`  saturated after ${saturatedAfterMs} ms: ${i - handledN} tasks waiting for a handler; stopped offering load`);
          break;
        }
        while (i < total && t0 + (i * 1000) / rate <= now) {
          const taskId = `b${tag}-r${rate}-${i}`;
          lag.push(now - (t0 + (i * 1000) / rate));
          ids.push(taskId);
          inflight.push(
            Promise.all([
              handlerStarted(taskId, 60_000).then(() => {
                handledN++;
              }),
              submit(taskId, latCap),
            ]),
          );
          i++;
        }
        await sleep(1);
      }
      const sentSec = (performance.now() - t0) / 1000;
      // Bounded: what has not reached the agent 10 s after the last send counts as missed.
      const settled = await Promise.race([Promise.allSettled(inflight).then(() => true), sleep(10_000).then(() => false)]);
      if (settled) await Promise.race([Promise.all(ids.map((id) => lifecycles.get(id))), sleep(5000)]);
      const reached = ids.filter((id) => received.has(id));
      rateIds.set(rate, reached);
      const rateCpu1 = await rateCpu();
      const perSent = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || i === 0 ? undefined : round((b - a) / i, 3));
      const cpuMsPerTask = {
        scheduler: perSent(rateCpu0.scheduler, rateCpu1.scheduler),
        postgresBackends: i === 0 ? undefined : round(pgCpuDeltaMs(rateCpu0.pg, rateCpu1.pg) / i, 3),
        natsServer: perSent(rateCpu0.nats, rateCpu1.nats),
      };
      const pgRoundTripsPerTask = i === 0 ? undefined : round((rateCpu1.counter.total.calls - rateCpu0.counter.total.calls) / i, 2);
      const byCalls = Object.entries(rateCpu1.counter.byStatement)
        .map(([label, v]) => [label, (v.calls - (rateCpu0.counter.byStatement[label]?.calls ?? 0)) / Math.max(1, i)] as const)
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([label, n]) => `${round(n, 2)}x ${label.slice(0, 70)}`);
      log(`  ${rate}/s: CPU ms per task ${JSON.stringify(cpuMsPerTask)}; scheduler PG round trips per task ${pgRoundTripsPerTask}: ${JSON.stringify(byCalls)}`);
      rateMeta[`${rate}`] = { offered: rate, sentPerSec: round(i / sentSec, 1), sendLagP99Ms: stats(lag).p99Ms, sent: i, saturatedAfterMs, missedAfter10s: i - reached.length, cpuMsPerTask, pgRoundTripsPerTask, topStatementsPerTask: byCalls };
      if (reached.length < i) log(`  ${i - reached.length} of ${i} tasks reached no handler within 10 s of the last send`);
      await sleep(300);
    }

    // Wait for the projection to have applied every lifecycle so far (read model = completed).
    const latIds = [...idleIds, ...[...rateIds.values()].flat()];
    await waitUntil('latency tasks completed in the read model', 10_000, async () => {
      const r = await pool!.query(`SELECT count(*)::int AS n FROM scheduler.tasks WHERE agent_id = $1 AND status = 'completed'`, [latAgent]);
      return r.rows[0].n >= latIds.length + 100;
    }, 50).catch(() => log('  (not every latency task is completed in the read model yet; going on)'));

    // Submit -> handler and scheduler -> agent leg.
    const assignedTx = new Map<string, number>();
    for (const row of (await pool.query(`SELECT data->>'taskId' AS task_id, tx_id::text AS tx FROM baton_es.events WHERE type = 'TaskAssigned'`)).rows as { task_id: string; tx: string }[]) {
      assignedTx.set(row.task_id, Number(row.tx));
    }
    // First notification (arrival order) covering a transaction = the first whose payload >= it.
    const prefixMax: number[] = [];
    for (const n of notes) prefixMax.push(Math.max(prefixMax[prefixMax.length - 1] ?? 0, n.tx));
    const commitSeen = (tx: number): number | undefined => {
      let lo = 0;
      let hi = prefixMax.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (prefixMax[mid]! >= tx) hi = mid;
        else lo = mid + 1;
      }
      return lo < notes.length ? notes[lo]!.perf : undefined;
    };
    const latencyOf = (ids: string[]) => {
      const e2e: number[] = [];
      const legCommit: number[] = [];
      const legAssignedAt: number[] = [];
      for (const id of ids) {
        const r = received.get(id)!;
        e2e.push(r.perf - submitted.get(id)!);
        const tx = assignedTx.get(id);
        const c = tx === undefined ? undefined : commitSeen(tx);
        if (c !== undefined && c <= r.perf) legCommit.push(r.perf - c);
        legAssignedAt.push(r.wall - Date.parse(r.assignedAt));
      }
      return { submitToHandler: stats(e2e), legFromCommit: stats(legCommit), legFromAssignedAt: stats(legAssignedAt) };
    };
    const idle = latencyOf(idleIds);
    const sustained: Record<string, (typeof rateMeta)[string] & ReturnType<typeof latencyOf>> = {};
    for (const [rate, ids] of rateIds) sustained[`${rate}`] = { ...rateMeta[`${rate}`]!, ...latencyOf(ids) };
    log(`idle submit->handler p50 ${idle.submitToHandler.p50Ms} p99 ${idle.submitToHandler.p99Ms} ms; leg (commit->handler) p50 ${idle.legFromCommit.p50Ms} p99 ${idle.legFromCommit.p99Ms} ms`);
    for (const [rate, v] of Object.entries(sustained)) {
      const x = v as ReturnType<typeof latencyOf>;
      log(`${rate}/s submit->handler p50 ${x.submitToHandler.p50Ms} p99 ${x.submitToHandler.p99Ms} ms; leg p99 ${x.legFromCommit.p99Ms} ms`);
    }

    // Quiet: no task of this run still open in the read model (bounded).
    const quiesce = (what: string) =>
      waitUntil(`${what}: every task closed in the read model`, 15_000, async () => {
        const r = await pool!.query(`SELECT count(*)::int AS n FROM scheduler.tasks WHERE status NOT IN ('completed', 'failed', 'cancelled')`);
        return r.rows[0].n === 0;
      }, 50).catch(() => log(`  (${what}: tasks still open after 15 s; going on)`));

    // ---------------------------------------------------------------- message accounting (wire tap)
    await quiesce('before the message accounting');
    await sleep(500);
    const acct = Math.min(ACCOUNTING, TASKS);
    log(`message accounting: ${acct} full lifecycles with a '>' wire tap, at most 20 in flight`);
    const classes = new Map<string, number>();
    let tapped = 0;
    const tap = wnc.subscribe('>', {
      callback: (_e, m) => {
        tapped++;
        const k = subjectClass(m);
        classes.set(k, (classes.get(k) ?? 0) + 1);
      },
    });
    await wnc.flush();
    const othersBefore = await otherConnections(MONITOR_URL, tag);
    const v0 = await varz(MONITOR_URL);
    const tappedAtStart = tapped;
    const acctIds: string[] = [];
    {
      const inflight: Promise<unknown>[] = [];
      const acctUntil = Math.max(performance.now() + 3000, Math.min(performance.now() + PHASE_CAP_MS, preDrainDeadline));
      for (let i = 0; i < acct && performance.now() < acctUntil; i++) {
        const taskId = `b${tag}-acct-${i}`;
        acctIds.push(taskId);
        inflight.push(Promise.all([handlerStarted(taskId, 60_000), submit(taskId, latCap)]).then(() => lifecycles.get(taskId)));
        if (inflight.length >= 20) await Promise.all(inflight.splice(0));
      }
      await Promise.all(inflight);
      await Promise.all(acctIds.map((id) => lifecycles.get(id)));
      await waitUntil('accounting tasks completed in the read model', 15_000, async () => {
        const r = await pool!.query(`SELECT count(*)::int AS n FROM scheduler.tasks WHERE task_id LIKE $1 AND status = 'completed'`, [`b${tag}-acct-%`]);
        return r.rows[0].n >= acctIds.length;
      }, 50).catch(() => log('  (accounting tasks not all completed in the read model after 15 s)'));
      await sleep(1500); // the relay publishes the last events after the read model moved
    }
    const v1 = await varz(MONITOR_URL);
    tap.unsubscribe();
    const tappedN = tapped - tappedAtStart;
    // Per lifecycle seen in the window (one complete-task each), which is `acct` when the system was quiet.
    const lifecyclesSeen = classes.get('cmd scheduler.complete-task') ?? acctIds.length;
    const perClass = Object.fromEntries([...classes].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, round(n / lifecyclesSeen, 2)]));
    const messages = {
      tasks: acctIds.length,
      lifecyclesSeen,
      wireTapPerTask: round(tappedN / lifecyclesSeen, 2),
      perClassPerTask: perClass,
      varzInPerTask: round((v1.inMsgs - v0.inMsgs) / lifecyclesSeen, 2),
      varzOutPerTaskExclTap: round((v1.outMsgs - v0.outMsgs - tappedN) / lifecyclesSeen, 2),
      connectionsOnServer: othersBefore,
    };
    log(`messages per task: ${messages.wireTapPerTask} on the wire (tap); varz in ${messages.varzInPerTask}, out ${messages.varzOutPerTaskExclTap}`);
    log(`  per class: ${JSON.stringify(perClass)}`);

    // ---------------------------------------------------------------- drain: N tasks queued, then one agent process
    await quiesce('before the drain');
    agent = startChild('agent', ['-r', '@swc-node/register', 'bench/dispatch-agent.ts'], {
      NATS_URL,
      AGENT_ID: drainAgent,
      EXPECT: String(TASKS),
      CONCURRENCY: '1024',
      TIMEOUT_MS: String(BUDGET_MS),
    });
    const ag = agent;
    await waitUntil('the drain agent to be ready', 60_000, async () => {
      if (ag.proc.exitCode !== null) throw new Error(`drain agent exited:\n${ag.tail.join('\n')}`);
      return ag.lines.some((l) => l.includes('"ready"'));
    }, 50);
    const sumDb = async () =>
      (await pool!.query(`SELECT xact_commit::bigint AS c, xact_rollback::bigint AS r, tup_inserted::bigint AS i, tup_updated::bigint AS u, tup_deleted::bigint AS d, tup_fetched::bigint AS f, tup_returned::bigint AS t FROM pg_stat_database WHERE datname = current_database()`))
        .rows[0] as Record<string, string>;
    const pgSnap = (): Promise<PgCounterSnapshot> => snapshotOnSignal<PgCounterSnapshot>(counterFile, 'the scheduler pg counter snapshot');
    const cpuSnap = async () => ({
      scheduler: cpuMsOf(schedulerPid),
      agent: cpuMsOf(ag.proc.pid),
      nats: natsServer ? cpuMsOf(natsServer.proc.pid) : undefined,
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      pg: await pgBackendCpu(pool!),
    });
    await sleep(1200);
    const cpu0 = await cpuSnap();
    const db0 = await sumDb();
    const pg0 = await pgSnap();
    const d0 = await varz(MONITOR_URL);
    const drainStartUs = monoUs();
    log(`drain: submitting ${TASKS} tasks in batches of ${SUBMIT_BATCH} (no agent can take them yet)`);
    const tSubmit0 = performance.now();
    // Submitting gets at most 25% of what is left of the budget, the read model catching up
    // 20%, the drain the rest.
    const submitDeadline = tSubmit0 + 0.25 * (BUDGET_MS - (tSubmit0 - started));
    let submittedN = 0;
    for (let b = 0; b < TASKS && performance.now() < submitDeadline; b += SUBMIT_BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = b; i < Math.min(TASKS, b + SUBMIT_BATCH); i++) batch.push(submit(`b${tag}-drain-${i}`, drainCap));
      await Promise.all(batch);
      submittedN = Math.min(TASKS, b + SUBMIT_BATCH);
    }
    const N = submittedN;
    if (N < TASKS) log(`  submission cut at ${N} of ${TASKS} tasks (budget)`);
    const tSubmit1 = performance.now();
    const submitRate = N / ((tSubmit1 - tSubmit0) / 1000);
    log(`submitted ${N} in ${round((tSubmit1 - tSubmit0) / 1000, 2)} s (${round(submitRate, 1)}/s); registering the drain agent`);
    let queuedN = 0;
    await waitUntil('drain tasks queued in the read model', Math.max(2000, 0.2 * (BUDGET_MS - (performance.now() - started))), async () => {
      const r = await pool!.query(`SELECT count(*)::int AS n FROM scheduler.tasks WHERE task_id LIKE $1`, [`b${tag}-drain-%`]);
      queuedN = r.rows[0].n as number;
      return queuedN >= N;
    }, 50).catch(() => log(`  only ${queuedN} of ${N} tasks in the read model (projection lag); registering the agent anyway`));
    // The scheduler at its fullest: every task of the drain queued, none taken yet.
    const schedulerMemoryQueued = await memorySnap();
    if (HEAP_SNAPSHOT_QUEUED) await heapSnapshot();
    const tQueued = performance.now();
    const projectionLagAtRegister = N - queuedN;
    await registerAgent(nc, drainAgent, [drainCap], TASKS + 1000);
    const tReg = performance.now();
    let lastLog = tReg;
    let doneAt = 0;
    let drained = 0;
    const drainDeadline = started + BUDGET_MS - 12_000;
    await waitUntil('all drain tasks completed in the read model', Math.max(5000, drainDeadline - tReg), async () => {
      if (ag.proc.exitCode !== null && ag.proc.exitCode !== 0) throw new Error(`drain agent exited:\n${ag.tail.join('\n')}`);
      const r = await pool!.query(`SELECT count(*) FILTER (WHERE status = 'completed')::int AS done, count(*) FILTER (WHERE status IN ('assigned','accepted'))::int AS held FROM scheduler.tasks WHERE task_id LIKE $1`, [`b${tag}-drain-%`]);
      const { done, held } = r.rows[0] as { done: number; held: number };
      drained = done;
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`  drain: ${done} completed, ${held} held, ${round((performance.now() - tReg) / 1000, 1)} s`);
      }
      if (done >= N) {
        doneAt = performance.now();
        return true;
      }
      return false;
    }, 100).catch((err: unknown) => {
      if (!/timed out/.test((err as Error).message)) throw err;
      doneAt = performance.now();
      log(`  drain cut by the budget at ${drained} of ${N} completed`);
    });
    const cpu1 = await cpuSnap();
    const drainEndUs = monoUs();
    const d1 = await varz(MONITOR_URL);
    const pg1 = await pgSnap();
    await sleep(1500); // pg_stat_database is flushed about every second; the relay finishes
    const db1 = await sumDb();
    const d2 = await varz(MONITOR_URL);
    const rss = {
      schedulerAtReady: schedulerRssAtReady,
      scheduler: rssOf(schedulerPid),
      schedulerSettled: undefined as SettledRss | undefined,
      drainAgent: rssOf(agent.proc.pid),
      benchDriver: rssOf(process.pid),
    };
    // Where the scheduler's memory is, read right after its RSS (the reading allocates nothing to speak of).
    const schedulerMemory = { atReady: schedulerMemoryAtReady, queued: schedulerMemoryQueued, afterDrain: await memorySnap() };
    if (HEAP_SNAPSHOT && !HEAP_SNAPSHOT_QUEUED) await heapSnapshot();
    rss.schedulerSettled = await settledRss(schedulerPid, rss.scheduler);
    if (!ag.lines.some((l) => l.includes('"done"'))) ag.proc.kill('SIGTERM');
    const agentDone = await waitUntil('the drain agent report', 10_000, async () => ag.lines.find((l) => l.includes('"done"')), 50).catch(() => undefined);
    const drainSec = (doneAt - tReg) / 1000;
    const e2eSec = (doneAt - tSubmit0) / 1000 - (tReg - tQueued) / 1000;
    // CPU per completed lifecycle, per process (Postgres: the backends of the bench database).
    const per = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || drained === 0 ? undefined : round((b - a) / drained, 3));
    const pgCpu = pgCpuDeltaMs(cpu0.pg, cpu1.pg);
    const cpuMsPerTask = {
      scheduler: per(cpu0.scheduler, cpu1.scheduler),
      postgresBackends: drained ? round(pgCpu / drained, 3) : undefined,
      natsServer: per(cpu0.nats, cpu1.nats),
      drainAgent: per(cpu0.agent, cpu1.agent),
      benchDriver: per(cpu0.bench, cpu1.bench),
    };
    const cpuTotal = Object.values(cpuMsPerTask).reduce<number>((t, v) => t + (v ?? 0), 0);
    const evRows = (await pool.query(`SELECT type, count(*)::int AS n FROM baton_es.events WHERE stream_id LIKE $1 GROUP BY type ORDER BY n DESC`, [`task-b${tag}-drain-%`])).rows as { type: string; n: number }[];
    const evTotal = evRows.reduce((s, r) => s + r.n, 0);
    // Per completed lifecycle; when none completed (the drain stalled), per submitted task, and said so.
    const denom = drained > 0 ? drained : N;
    const delta = (k: string) => round((Number(db1[k]) - Number(db0[k])) / denom, 2);
    const perStatement = Object.entries(pg1.byStatement)
      .map(([k, v]) => {
        const b = pg0.byStatement[k] ?? { calls: 0, ms: 0 };
        return { statement: k, perTask: round((v.calls - b.calls) / denom, 2), avgMs: v.calls > b.calls ? round((v.ms - b.ms) / (v.calls - b.calls), 2) : 0 };
      })
      .filter((r) => r.perTask > 0)
      .sort((a, b) => b.perTask - a.perTask);
    const drain = {
      tasks: N,
      completed: drained,
      finishedWithinBudget: drained >= N,
      // Submitted tasks the tasks projection had not applied yet when the agent registered.
      projectionLagAtRegister,
      submitPerSec: round(submitRate, 1),
      drainPerSec: round(drained / drainSec, 1),
      drainSeconds: round(drainSec, 2),
      // Submit start -> last completion in the read model, minus the gap in which no agent existed.
      endToEndLifecyclesPerSec: round(drained / e2eSec, 1),
      // serverSide: what the CPU target sums (scheduler, Postgres backends, nats-server).
      cpuMsPerTask: { ...cpuMsPerTask, serverSide: round((cpuMsPerTask.scheduler ?? 0) + (cpuMsPerTask.postgresBackends ?? 0) + (cpuMsPerTask.natsServer ?? 0), 3), total: round(cpuTotal, 3) },
      // What this machine's cores could sustain if they did nothing else: cores / CPU per lifecycle.
      cpuBoundLifecyclesPerSec: cpuTotal > 0 ? round((cpus().length * 1000) / cpuTotal, 1) : undefined,
      agent: agentDone ? (JSON.parse(agentDone) as unknown) : 'no report',
      natsPerTask: { varzIn: round((d1.inMsgs - d0.inMsgs) / N, 2), varzOut: round((d1.outMsgs - d0.outMsgs) / N, 2), varzInSettled: round((d2.inMsgs - d0.inMsgs) / N, 2) },
      db: {
        perTaskMeans: drained > 0 ? 'per completed lifecycle' : 'per submitted task (no lifecycle completed)',
        eventsPerTask: round(evTotal / N, 2),
        eventsByType: Object.fromEntries(evRows.map((r) => [r.type, r.n])),
        schedulerRoundTripsPerTask: round((pg1.total.calls - pg0.total.calls) / denom, 2),
        schedulerPgMsPerTask: round((pg1.total.ms - pg0.total.ms) / denom, 3),
        statementsPerTask: perStatement.slice(0, 25),
        pgStatDatabasePerTask: { commits: delta('c'), rollbacks: delta('r'), inserted: delta('i'), updated: delta('u'), deleted: delta('d'), fetched: delta('f'), returned: delta('t') },
      },
    };
    log(`drain: ${drain.drainPerSec} tasks/s after the agent registered (${drain.drainSeconds} s); end to end ${drain.endToEndLifecyclesPerSec}/s; submit ${drain.submitPerSec}/s`);
    log(`  CPU ms per lifecycle: ${JSON.stringify(drain.cpuMsPerTask)} -> at most ${drain.cpuBoundLifecyclesPerSec}/s on ${cpus().length} cores`);
    log(`  per task: ${drain.db.eventsPerTask} events, ${drain.db.schedulerRoundTripsPerTask} scheduler PG round trips, NATS varz in ${drain.natsPerTask.varzIn}`);
    log(`  RSS: ${JSON.stringify(rss)}`);
    const after = schedulerMemory.afterDrain;
    log(`  scheduler memory after the drain: ${after ? JSON.stringify({ usage: after.usage, spaces: after.spaces, smaps: { Rss: after.smaps['Rss'], Anonymous: after.smaps['Anonymous'], Pss_File: after.smaps['Pss_File'] } }) : 'no reading'}`);

    // ---------------------------------------------------------------- stop, profile
    await stopChild(agent, 5000);
    await stopChild(scheduler, 20_000);
    let profile: (CpuProfileSummary & { file: string }) | undefined;
    if (PROFILE) {
      const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
      if (files.length > 0) {
        const file = join(profDir, files[0]!);
        const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
        log(`profile ${file}: starts ${round((prof.startTime - profileStartUs) / 1000, 1)} ms after the spawn (clock check)`);
        const s = summarizeCpuProfile(prof, { fromUs: drainStartUs, toUs: drainEndUs, top: 20 });
        process.stderr.write(`${formatSummary(s)}\n`);
        profile = { file, ...s };
      } else log('no .cpuprofile was written');
    }

    const natsRttP99 = baselines.natsRequestReply.p99Ms;
    const context = {
      idleSubmitToHandlerP50VsNatsRtt: round(idle.submitToHandler.p50Ms / baselines.natsRequestReply.p50Ms, 1),
      idleSubmitToHandlerP99VsNatsRtt: round(idle.submitToHandler.p99Ms / natsRttP99, 1),
      idleSubmitToHandlerP50VsPgCommit: round(idle.submitToHandler.p50Ms / baselines.postgresInsertCommit.p50Ms, 1),
      idleLegP99VsNatsRttP99: round(idle.legFromCommit.p99Ms / natsRttP99, 1),
      drainLifecyclesVsPgCommitsOneConn: round(drain.endToEndLifecyclesPerSec / (1000 / baselines.postgresInsertCommit.p50Ms), 3),
    };
    return {
      nats: SHARED_NATS ? `shared ${NATS_URL}` : 'private nats-server',
      baselines,
      idle,
      sustained,
      messages,
      drain,
      rss,
      schedulerMemory,
      context,
      lifecycleErrors: { count: lifecycleErrors, first: firstLifecycleError },
      ...(profile
        ? {
            profile: {
              file: profile.file,
              windowMs: profile.windowMs,
              busyPct: profile.busyPct,
              gcMs: profile.gcMs,
              topSelf: profile.topSelfFunctions.slice(0, 12).map((r) => `${r.pct}% ${r.name}`),
              byPackage: profile.selfByPackage.slice(0, 12).map((r) => `${r.pct}% ${r.name}`),
              inclusiveProject: profile.inclusiveProjectFunctions.slice(0, 12).map((r) => `${r.pct}% ${r.name}`),
              nativeByCaller: profile.nativeByCallerPackage.slice(0, 8).map((r) => `${r.pct}% ${r.name}`),
            },
          }
        : {}),
      elapsedSeconds: round((performance.now() - started) / 1000, 1),
    };
  } catch (err) {
    if (scheduler) process.stderr.write(`${scheduler.tail.join('\n')}\n`);
    if (agent) process.stderr.write(`${agent.tail.join('\n')}\n`);
    throw err;
  } finally {
    await stopChild(agent, 5000).catch(() => undefined);
    await stopChild(scheduler, 20_000).catch(() => undefined);
    if (jsm) {
      for (const [stream, name] of [
        [INBOX_STREAM, `agent-${latAgent}`],
        [INBOX_STREAM, `agent-${drainAgent}`],
        [EVENTS_STREAM, `${consumerName}-agents`],
      ] as const) {
        await jsm.consumers.delete(stream, name).catch(() => undefined);
      }
      for (const a of [latAgent, drainAgent]) await jsm.streams.purge(INBOX_STREAM, { filter: `baton.agent.${a}.inbox` }).catch(() => undefined);
    }
    for (const c of conns) await c.close().catch(() => undefined);
    await natsServer?.stop();
    await listener?.end().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await db.drop();
    log(`database ${db.name} dropped`);
    if (PROFILE || HEAP_SNAPSHOT) rmSync(join(tmp, 'nats'), { recursive: true, force: true });
    else rmSync(tmp, { recursive: true, force: true });
  }
}

export type BatonDispatchResult = Awaited<ReturnType<typeof runBatonDispatch>>;
