/**
 * Preload for a benchmarked scheduler (`BENCH_TIMING_FILE=/tmp/t.log` with the bench's
 * `BENCH_PRELOAD=bench/timing-probe.ts`): appends one line per step of the hot path to the file,
 * `<epoch ms> <process> <step>`, so one task's or one run's hops can be read in order: each command
 * (`exec <stream> hot|cold >` and `<`), each whole-stream read, each append with its event
 * types (and each append of several streams together), each dispatcher pass and each call that wakes one, each assignment
 * published at once, each event the relay publishes until its PubAck, each read of the store's feed, in the
 * handoff-validator each validation with its stream load and artifact write, and each garbage collection
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
  // Which process wrote a line (the bench's workflow part preloads the probe into the scheduler and the handoff-validator, both writing one file).
  const tag = /services\/([a-z-]+)\//.exec(process.argv[1] ?? '')?.[1] ?? 'bench';
  const log = (step: string): void => appendFileSync(file, `${(performance.timeOrigin + performance.now()).toFixed(2)} ${tag} ${step}\n`);
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
  // executeNow(call): the call names its stream.
  wrap(runner, 'executeNow', (self, a) => {
    const stream = String((a[0] as { streamId?: string } | undefined)?.streamId);
    return `exec ${stream} ${(self['cache'] as Map<string, unknown> | undefined)?.has(stream) ? 'hot' : 'cold'}`;
  });
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
  // The relay: each event handed to it, and each publish until its PubAck; the feed's reads of the store.
  const relay = load('./libs/messaging/dist/event.relay.js').EventRelay.prototype as Record<string, Method>;
  wrap(relay, 'publishUntilAcked', (_self, a) => `  publish ${(a[0] as { event: { type: string; streamId: string } }).event.type} ${(a[0] as { event: { streamId: string } }).event.streamId}`);
  wrap(load('./libs/event-store/dist/postgres/postgres-event-store.js').PostgresEventStore.prototype, 'readPage', (_self, a) => `  readPage ${JSON.stringify((a[2] as { categories?: string[] } | undefined)?.categories ?? 'all')}`);
  wrap(load('./libs/event-store/dist/postgres/postgres-event-store.js').PostgresEventStore.prototype, 'appendTogether', (_self, a) => `  appendTogether ${(a[0] as { streamId: string }[]).map((x) => x.streamId).join(',')}`);
  if (tag === 'handoff-validator') {
    const h = load('./services/handoff-validator/dist/app/handoff-command.handler.js').HandoffCommandHandler.prototype;
    wrap(h, 'validate', (_s, a) => `validate ${String((a[0] as { stageId: string }).stageId)}`);
    wrap(load('./services/handoff-validator/dist/adapters/postgres-artifact.store.js').PostgresArtifactStore.prototype, 'put', () => 'artifacts.put');
    wrap(runner, 'load', (_s, a) => `  load ${String(a[0])}`);
  }
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
      appendFileSync(file, `${(performance.timeOrigin + e.startTime).toFixed(2)} ${tag} gc ${kind} ${e.duration.toFixed(2)} ms\n`);
    }
  }).observe({ entryTypes: ['gc'] });
}
