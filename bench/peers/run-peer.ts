/**
 * Runs one peer job queue (bench/peers/peer-worker.ts) as a child process on a fresh database
 * of the bench's Postgres server, bounded by its deadline, and returns its figures.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createBenchDatabase, log, startChild, stopChild, waitUntil } from '../support';
import type { PeerName } from './queues';

export interface PeerResult {
  readonly peer: PeerName;
  readonly version: string;
  readonly settings: Record<string, unknown>;
  readonly idle: { readonly enqueueToHandlerStart: { p50Ms: number; p99Ms: number; maxMs: number; n: number } };
  readonly drain: {
    readonly tasks: number;
    readonly completed: number;
    readonly finishedWithinBudget: boolean;
    readonly enqueuePerSec: number;
    readonly drainPerSec: number;
    readonly drainSeconds: number;
    readonly endToEndJobsPerSec: number;
    readonly cpuMsPerJob: { worker?: number; postgresBackends?: number };
    readonly workerRssMb?: number;
  };
}

export async function runPeer(peer: PeerName, sizes: { tasks: number; idle: number }, timeMs: number): Promise<PeerResult> {
  const db = await createBenchDatabase(`bench_peer_${peer.replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`);
  const t0 = performance.now();
  log(`${peer}: ${sizes.tasks} jobs drained, ${sizes.idle} idle jobs, at most ${Math.round(timeMs / 1000)} s (database ${db.name})`);
  const child = startChild(peer, ['-r', '@swc-node/register', 'bench/peers/peer-worker.ts'], {
    PEER: peer,
    DATABASE_URL: db.url,
    TASKS: String(sizes.tasks),
    IDLE: String(sizes.idle),
    DEADLINE_MS: String(Math.max(10_000, timeMs - 10_000)),
  });
  try {
    const line = await waitUntil(`${peer} figures`, timeMs, async () => {
      const l = child.lines.find((x) => x.startsWith('{'));
      if (l) return l;
      if (child.proc.exitCode !== null) throw new Error(`${peer} exited with ${child.proc.exitCode}:\n${child.tail.join('\n')}`);
      return undefined;
    }, 100);
    const r = JSON.parse(line) as PeerResult;
    log(`${peer}: idle enqueue->handler p50 ${r.idle.enqueueToHandlerStart.p50Ms} p99 ${r.idle.enqueueToHandlerStart.p99Ms} ms; drain end to end ${r.drain.endToEndJobsPerSec}/s (enqueue ${r.drain.enqueuePerSec}/s, drain ${r.drain.drainPerSec}/s); ${Math.round((performance.now() - t0) / 1000)} s`);
    return r;
  } finally {
    await stopChild(child, 5000);
    await db.drop();
  }
}
