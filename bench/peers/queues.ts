/**
 * graphile-worker and pg-boss behind one small face for bench/peers/peer-worker.ts, each with the
 * throughput settings its documentation recommends:
 *
 * - graphile-worker: the configuration of its performance page (worker.graphile.org/docs/performance):
 *   `concurrentJobs: 24`, `maxPoolSize: 25`, `localQueue: { size: 500 }` (batch fetch),
 *   `completeJobBatchDelay: 0`, `failJobBatchDelay: 0`; new jobs wake workers by LISTEN/NOTIFY.
 * - pg-boss: `useListenNotify: true` with a `notify: true` queue (workers woken at once instead
 *   of polling), `batchSize: 100` per fetch, `burstWhenBatchFull` (fetch again at once while
 *   batches come back full), `localConcurrency: 4`, the shortest polling interval (0.5 s) as
 *   the backstop, cron scheduling off (`schedule: false`, the bench has no cron jobs).
 *
 * Enqueueing goes through each library's own call (`addJob`, `send`), one job per call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, makeWorkerUtils, run, type Runner } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { Pool } from 'pg';
import { ROOT } from '../support';

export type PeerName = 'graphile-worker' | 'pg-boss';

export interface PeerQueue {
  readonly version: string;
  readonly settings: Record<string, unknown>;
  enqueue(id: string): Promise<void>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** Jobs not finished yet (queued, running, or done but not yet recorded as done). */
  unfinished(pool: Pool): Promise<number>;
  close(): Promise<void>;
}

const JOB = 'bench';
/** Connections the enqueueing side may use (it has 500 calls in flight). */
const ENQUEUE_POOL = 20;

function versionOf(pkg: PeerName): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function openQueue(peer: PeerName, connectionString: string, onJob: (id: string) => void): Promise<PeerQueue> {
  return peer === 'graphile-worker' ? openGraphileWorker(connectionString, onJob) : openPgBoss(connectionString, onJob);
}

async function openGraphileWorker(connectionString: string, onJob: (id: string) => void): Promise<PeerQueue> {
  // Its info logs would drown the bench's progress lines; errors still surface as failed jobs.
  const logger = new Logger(() => () => undefined);
  const enqueuePool = new Pool({ connectionString, max: ENQUEUE_POOL });
  // An idle client's error (e.g. the database dropped under it at the end) must not crash the run.
  enqueuePool.on('error', () => undefined);
  const utils = await makeWorkerUtils({ pgPool: enqueuePool, logger });
  await utils.migrate();
  const worker = { concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 };
  let runner: Runner | undefined;
  return {
    version: versionOf('graphile-worker'),
    settings: { ...worker, wakeUp: 'LISTEN/NOTIFY', enqueue: 'addJob, one job per call' },
    enqueue: async (id) => {
      await utils.addJob(JOB, { id });
    },
    startWorker: async () => {
      runner = await run({
        connectionString,
        logger,
        noHandleSignals: true,
        preset: { worker },
        taskList: {
          [JOB]: async (payload) => {
            onJob((payload as { id: string }).id);
          },
        },
      });
    },
    stopWorker: async () => {
      await runner?.stop();
      runner = undefined;
    },
    unfinished: async (pool) => ((await pool.query('SELECT count(*)::int AS n FROM graphile_worker.jobs')).rows[0] as { n: number }).n,
    close: async () => {
      await runner?.stop();
      await utils.release();
      await enqueuePool.end();
    },
  };
}

async function openPgBoss(connectionString: string, onJob: (id: string) => void): Promise<PeerQueue> {
  const constructor = { max: ENQUEUE_POOL, useListenNotify: true, schedule: false };
  const boss = new PgBoss({ connectionString, ...constructor });
  let lastError: unknown;
  boss.on('error', (err) => {
    lastError = err;
  });
  await boss.start();
  await boss.createQueue(JOB, { notify: true });
  const work = { batchSize: 100, localConcurrency: 4, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true };
  let working = false;
  return {
    version: versionOf('pg-boss'),
    settings: { ...constructor, queue: { notify: true }, work, enqueue: 'send, one job per call' },
    enqueue: async (id) => {
      const jobId = await boss.send(JOB, { id });
      if (jobId === null) throw new Error(`pg-boss did not create job ${id}${lastError ? `: ${String(lastError)}` : ''}`);
    },
    startWorker: async () => {
      await boss.work<{ id: string }>(JOB, work, async (jobs) => {
        for (const j of jobs) onJob(j.data.id);
      });
      working = true;
    },
    stopWorker: async () => {
      if (working) await boss.offWork(JOB, { wait: true });
      working = false;
    },
    unfinished: async (pool) =>
      ((await pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`, [JOB])).rows[0] as { n: number }).n,
    close: async () => {
      await boss.stop({ graceful: false, close: true, timeout: 5000 });
    },
  };
}
