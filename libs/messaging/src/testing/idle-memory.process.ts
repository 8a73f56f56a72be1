/**
 * A process that bursts, stays busy, then goes quiet, with the idle memory releaser running:
 * idle-memory.int.spec.ts watches what it prints. Started with `node -r @swc-node/register`.
 *
 * Prints one JSON line per step: `{"step":"ready"}`, `{"step":"burst"}` (the burst's objects
 * allocated), `{"step":"busy-end","releases":n}` (after the loop stayed busy for BUSY_MS with the
 * burst live; then the burst is dropped and the process goes quiet), the releaser's own line (`msg` "memory given back after a burst"),
 * each with `rssMb`. Exits on SIGTERM.
 *
 * Env: IDLE_MS (the releaser's quiet time), BUSY_MS (how long the loop stays busy after the burst).
 */
import { startIdleMemoryRelease } from '../idle-memory';

const rssMb = (): number => Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10;
const print = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...line, rssMb: rssMb() })}\n`);
};

const idleMs = Number(process.env.IDLE_MS ?? '500');
const busyMs = Number(process.env.BUSY_MS ?? '3000');
const releaser = startIdleMemoryRelease({
  idleMs,
  logger: { log: (m: unknown) => print(m as Record<string, unknown>), warn: (m: unknown) => print({ warn: String(m) }), error: (m: unknown) => print({ error: String(m) }) },
});

/** What a drain leaves behind: many small records, live at once, then dropped together. */
function burst(): Map<string, unknown> {
  const states = new Map<string, unknown>();
  for (let i = 0; i < 250_000; i++) {
    states.set(`task-${i}`, { taskId: `task-${i}`, status: 'queued', attempt: 1, input: { n: i, text: `payload ${i} `.repeat(4) }, history: [i, i + 1, i + 2] });
  }
  return states;
}

/** Keeps the event loop busy (allocating, as a service at work does) until `until`, in 20 ms slices. */
function stayBusy(until: number, done: () => void): void {
  const sliceEnd = Date.now() + 20;
  const garbage: unknown[] = [];
  while (Date.now() < sliceEnd) garbage.push({ at: Date.now(), text: 'busy '.repeat(8) });
  if (Date.now() < until) setImmediate(() => stayBusy(until, done));
  else done();
}

print({ step: 'ready' });
let states: Map<string, unknown> | undefined = burst();
print({ step: 'burst', size: states.size });
stayBusy(Date.now() + busyMs, () => {
  print({ step: 'busy-end', releases: releaser.releases });
  // The work is done: its states are garbage, and nothing allocates enough to collect them.
  states = undefined;
});

// Quiet from here on: only the releaser's timer runs, and this one keeps the process alive.
const keepAlive = setInterval(() => undefined, 60_000);
process.once('SIGTERM', () => {
  releaser.stop();
  clearInterval(keepAlive);
});
