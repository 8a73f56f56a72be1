/**
 * Preload for a benchmarked scheduler (`BENCH_TIMING_FILE=/tmp/t.log` with the bench's
 * `BENCH_PRELOAD=bench/timing-probe.ts`): appends one line per step of the hot path to the file,
 * `<epoch ms> <step>`, so one task's or one run's hops can be read in order: each command
 * (`exec <stream> hot|cold >` and `<`), each whole-stream read, each append with its event
 * types, each dispatcher pass and each call that wakes one, each assignment published at once and each garbage collection
 * (kind and pause). It wraps the compiled classes' methods (from dist, run `npm run build` first) and changes nothing else; the
 * synchronous writes slow the process, so read the gaps between steps, not the totals.
 * Without `BENCH_TIMING_FILE` it does nothing.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

const file = process.env.BENCH_TIMING_FILE;
if (file) {
  const load = createRequire(resolve('package.json'));
  const log = (step: string): void => appendFileSync(file, `${(performance.timeOrigin + performance.now()).toFixed(2)} ${step}\n`);
  type Method = (...args: unknown[]) => unknown;
  const wrap = (proto: Record<string, Method>, name: string, label: (self: Record<string, unknown>, args: unknown[]) => string): void => {
    const original = proto[name]!;
    proto[name] = async function (this: Record<string, unknown>, ...args: unknown[]) {
      const l = label(this, args);
      log(`${l} >`);
      try {
        const r = await original.apply(this, args);
        log(`${l} <`);
        return r;
      } catch (err) {
        log(`${l} ! ${(err as Error).message}`);
        throw err;
      }
    };
  };
  const runner = load('./libs/aggregate/dist/command-runner.js').CommandRunner.prototype;
  wrap(runner, 'executeNow', (self, a) => `exec ${String(a[1])} ${(self['cache'] as Map<string, unknown>).has(String(a[1])) ? 'hot' : 'cold'}`);
  wrap(runner, 'readWhole', (_self, a) => `  readWhole ${String(a[0])}`);
  wrap(load('./libs/event-store/dist/postgres/postgres-event-store.js').PostgresEventStore.prototype, 'append', (_self, a) => `  append ${String(a[0])} ${(a[1] as { type: string }[]).map((e) => e.type).join(',')}`);
  wrap(load('./services/scheduler/dist/adapters/dispatcher.js').Dispatcher.prototype, 'pass', () => 'dispatch pass');
  wrap(load('./services/scheduler/dist/app/task.service.js').TaskService.prototype, 'submit', (_self, a) => `submit ${String((a[0] as { data?: { taskId?: string } }).data?.taskId ?? '')}`);
  const inbox = load('./services/scheduler/dist/adapters/agent-inbox.publisher.js').AgentInboxPublisher.prototype as Record<string, Method>;
  const publishNow = inbox['publishNow']!;
  inbox['publishNow'] = function (this: unknown, ...args: unknown[]) {
    log(`publishNow ${String((args[0] as { taskId: string }).taskId)}`);
    return publishNow.apply(this, args);
  };
  // What wakes the dispatcher: each call that answers "a pass may do more", with the pass's left state.
  const dispatcher = load('./services/scheduler/dist/adapters/dispatcher.js').Dispatcher.prototype as Record<string, Method>;
  for (const name of ['shown', 'finished', 'changed', 'submitted']) {
    const original = dispatcher[name]!;
    dispatcher[name] = function (this: Record<string, unknown>, ...args: unknown[]) {
      const r = original.apply(this, args);
      if (r !== false) {
        const what = name === 'shown' ? (args[0] as { type: string }[]).map((e) => e.type).join(',') : name === 'finished' || name === 'submitted' ? String((args[0] as { taskId?: string })?.taskId ?? args[0]) : '';
        log(`dispatcher ${name} ${what} -> ${String(r)}`);
      }
      return r;
    };
  }
  // Collections, at the time each started, with how long it held the thread: a gap between two
  // steps with no line of its own is often one of these.
  const kinds: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0)] ?? 'other';
      appendFileSync(file, `${(performance.timeOrigin + e.startTime).toFixed(2)} gc ${kind} ${e.duration.toFixed(2)} ms\n`);
    }
  }).observe({ entryTypes: ['gc'] });
}
