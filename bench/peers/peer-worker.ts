/**
 * One peer job queue of bench:dispatch, run as its own process so its CPU and RSS are its own:
 * graphile-worker or pg-boss on a fresh database, configured for throughput as their docs
 * advise (see bench/peers/queues.ts). It measures what bench/baton-dispatch.ts measures for
 * Baton, the same way:
 *
 * - idle: one job at a time, enqueue call → handler start (same process, same clock), after a
 *   warm-up;
 * - drain: N jobs enqueued one call per job, 500 calls in flight (as Baton's tasks are
 *   submitted), with no worker running; then one worker starts and the clock stops when the
 *   queue holds no unfinished job. End to end = N / (enqueue time + drain time).
 *
 * Env: PEER (graphile-worker | pg-boss), DATABASE_URL, TASKS, IDLE, DEADLINE_MS (this process
 * stops by itself after it, reporting what it measured). stdout: one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { cpuMsOf, pgBackendCpu, pgCpuDeltaMs, round, rssOf, sleep, stats, waitUntil } from '../support';
import { openQueue, type PeerName } from './queues';

const ENQUEUE_IN_FLIGHT = 500;

async function main(): Promise<void> {
  const peer = process.env.PEER as PeerName;
  const dbUrl = process.env.DATABASE_URL ?? '';
  const tasks = Number(process.env.TASKS ?? 20_000);
  const idleN = Number(process.env.IDLE ?? 500);
  const deadline = performance.now() + Number(process.env.DEADLINE_MS ?? 120_000);
  if (peer !== 'graphile-worker' && peer !== 'pg-boss') throw new Error(`PEER must be graphile-worker or pg-boss, not ${String(peer)}`);
  if (!dbUrl || !(tasks > 0) || !(idleN > 0)) throw new Error('DATABASE_URL, TASKS > 0 and IDLE > 0 are required');
  const left = () => deadline - performance.now();

  const started = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let handled = 0;
  const onJob = (id: string): void => {
    started.set(id, performance.now());
    handled++;
    waiters.get(id)?.();
  };
  const q = await openQueue(peer, dbUrl, onJob);
  const observer = new Pool({ connectionString: dbUrl, max: 1 });
  try {
    // ------------------------------------------------------------ idle: one at a time
    await q.startWorker();
    const idle: number[] = [];
    const idleCap = performance.now() + Math.min(30_000, 0.25 * left());
    for (let i = 0; i < 50 + idleN && performance.now() < idleCap; i++) {
      const id = `idle-${i}`;
      const seen = new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`${peer}: job ${id} reached no handler in 10 s`)), 10_000);
        waiters.set(id, () => {
          clearTimeout(t);
          res();
        });
      });
      const t0 = performance.now();
      await q.enqueue(id);
      await seen;
      waiters.delete(id);
      if (i >= 50) idle.push(started.get(id)! - t0);
      await sleep(5);
    }
    await q.stopWorker();
    await waitUntil(`${peer}: idle jobs finished`, 15_000, async () => (await q.unfinished(observer)) === 0, 50);

    // ------------------------------------------------------------ drain: N queued, then one worker
    handled = 0;
    const enqueueCap = performance.now() + 0.35 * left();
    const t0 = performance.now();
    let enqueued = 0;
    for (let b = 0; b < tasks && performance.now() < enqueueCap; b += ENQUEUE_IN_FLIGHT) {
      const batch: Promise<void>[] = [];
      for (let i = b; i < Math.min(tasks, b + ENQUEUE_IN_FLIGHT); i++) batch.push(q.enqueue(`drain-${i}`));
      await Promise.all(batch);
      enqueued = Math.min(tasks, b + ENQUEUE_IN_FLIGHT);
    }
    const t1 = performance.now();
    const cpu0 = { self: process.cpuUsage(), pg: await pgBackendCpu(observer) };
    const t2 = performance.now();
    await q.startWorker();
    let finished = true;
    await waitUntil(`${peer}: ${enqueued} jobs drained`, Math.max(1000, left() - 5000), async () => handled >= enqueued && (await q.unfinished(observer)) === 0, 20).catch((err: unknown) => {
      if (!/timed out/.test((err as Error).message)) throw err;
      finished = false;
    });
    const t3 = performance.now();
    const selfCpu = process.cpuUsage(cpu0.self);
    const pgCpuMs = pgCpuDeltaMs(cpu0.pg, await pgBackendCpu(observer));
    const rss = rssOf(process.pid);
    await q.stopWorker();
    const drainSec = (t3 - t2) / 1000;
    const completed = finished ? enqueued : Math.min(handled, enqueued);
    const result = {
      peer,
      version: q.version,
      settings: q.settings,
      idle: { enqueueToHandlerStart: stats(idle) },
      drain: {
        tasks: enqueued,
        completed,
        finishedWithinBudget: finished && enqueued === tasks,
        enqueuePerSec: round(enqueued / ((t1 - t0) / 1000), 1),
        drainPerSec: round(completed / drainSec, 1),
        drainSeconds: round(drainSec, 2),
        endToEndJobsPerSec: round(completed / ((t1 - t0 + (t3 - t2)) / 1000), 1),
        cpuMsPerJob: {
          worker: completed ? round((selfCpu.user + selfCpu.system) / 1000 / completed, 3) : undefined,
          postgresBackends: completed ? round(pgCpuMs / completed, 3) : undefined,
        },
        workerRssMb: rss?.rssMb,
      },
      processCpuMs: cpuMsOf(process.pid),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await q.close().catch(() => undefined);
    await observer.end().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[peer-worker] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
