import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { envInt, type EnvSource } from '@baton/telemetry';
import type { MessagingLogger } from './messaging.logger';

/**
 * Giving memory back after a burst. A burst leaves a service at about its high-water mark: the
 * heap's garbage is not collected while nothing allocates, and what a collection frees V8 keeps
 * in a pool of pages, returned to the system only by a memory-reducing collection, which a quiet
 * process never starts (the scheduler stayed at 198 MB for 8 s after a 5,000-task drain, 136 at
 * ready). So once the process has been quiet for a while after its RSS grew, one last-resort
 * collection (full, compacting, and unmapping the pooled pages) gives them back: 196-228 MB to
 * 130-137 MB in the scheduler. docs/architecture.md, "Memory after a burst", has the figures.
 */

/** `BATON_MEMORY_RELEASE_IDLE_MS` unset: quiet this long after a burst before memory is given back. */
export const DEFAULT_MEMORY_RELEASE_IDLE_MS = 2000;

/**
 * RSS growth over the floor that counts as a burst. A release of a 50-90 MB heap pauses the
 * process for 70-170 ms (more on a loaded machine); below this growth there is too little pooled to be worth that.
 */
export const DEFAULT_MEMORY_RELEASE_GROWTH_MB = 32;

/**
 * Event-loop utilization below which a sampling interval counts as quiet. An idle service's
 * timers (leases, pollers, heartbeats) stay far below it; a drain keeps it near 1.
 */
export const DEFAULT_QUIET_UTILIZATION = 0.1;

/** When a release is due; see {@link observeMemory}. */
export interface MemoryReleaseRule {
  /** How long every sampling interval must have been quiet; 0 turns releasing off. */
  readonly idleMs: number;
  /** Event-loop utilization (0-1) below which an interval is quiet. */
  readonly quietUtilization: number;
  /** RSS growth over the floor, in bytes, that makes a release worth its pause. */
  readonly growthBytes: number;
}

/** What the rule remembers between samples. */
export interface MemoryReleaseState {
  /** How long the process has been quiet without a break, in ms. */
  readonly quietMs: number;
  /** The lowest RSS since start or the last release: the level a burst grows from. */
  readonly floorBytes: number;
}

/** One sampling interval. */
export interface MemorySample {
  /** The interval's length in ms. */
  readonly elapsedMs: number;
  /** Event-loop utilization over the interval (0-1). */
  readonly utilization: number;
  /** RSS at the interval's end. */
  readonly rssBytes: number;
}

/** The state at start: not quiet yet, RSS now as the floor. */
export function initialMemoryReleaseState(rssBytes: number): MemoryReleaseState {
  return { quietMs: 0, floorBytes: rssBytes };
}

/** The state after a release: its RSS is the new floor, so the next release needs a new burst. */
export function stateAfterRelease(rssAfterBytes: number): MemoryReleaseState {
  return { quietMs: 0, floorBytes: rssAfterBytes };
}

/**
 * The pure decision: given the last interval, is a release due? Due when releasing is on, the
 * process has been quiet for `idleMs` without a break (one busy interval starts the count
 * again, so it never fires while the process works), and RSS stands `growthBytes` or more above
 * the floor. The floor follows RSS down and resets to the RSS after each release, so a release
 * happens at most once per burst of growth, never again and again over the same pages.
 *
 * RSS rather than V8's heap statistics, because the pooled pages are counted in neither
 * `total_heap_size` nor `used_heap_size`: after a 5,000-task drain the scheduler's heap was
 * 104 MB committed, 69 MB used, while its RSS stood 71 MB above its level at ready.
 */
export function observeMemory(rule: MemoryReleaseRule, state: MemoryReleaseState, sample: MemorySample): { readonly state: MemoryReleaseState; readonly release: boolean } {
  const quietMs = sample.utilization < rule.quietUtilization ? state.quietMs + sample.elapsedMs : 0;
  const floorBytes = Math.min(state.floorBytes, sample.rssBytes);
  const release = rule.idleMs > 0 && quietMs >= rule.idleMs && sample.rssBytes - floorBytes >= rule.growthBytes;
  return { state: { quietMs, floorBytes }, release };
}

/**
 * `BATON_MEMORY_RELEASE_IDLE_MS`: how long a service must be quiet after a burst before it gives
 * pooled memory back; 0 turns it off. Default {@link DEFAULT_MEMORY_RELEASE_IDLE_MS}; a value
 * that is not a whole number from 0 to 3,600,000 throws an error naming the variable.
 */
export function memoryReleaseIdleMsFromEnv(source?: EnvSource): number {
  return envInt('BATON_MEMORY_RELEASE_IDLE_MS', DEFAULT_MEMORY_RELEASE_IDLE_MS, { ...(source ? { source } : {}), min: 0, max: 3_600_000 });
}

/** What a release did, as logged. */
export interface MemoryRelease {
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  readonly heapUsedAfterMb: number;
  /** How long the process stood still (wall clock: longer on a loaded machine). */
  readonly pauseMs: number;
  /** CPU the collection took, V8's helper threads included. */
  readonly cpuMs: number;
  readonly quietMs: number;
}

/** What {@link startIdleMemoryRelease} needs. */
export interface IdleMemoryReleaseOptions extends Partial<MemoryReleaseRule> {
  /** Where the release's line goes (one per release: RSS before and after, pause). */
  readonly logger: MessagingLogger;
  /** Called after each release (tests). */
  readonly onRelease?: (release: MemoryRelease) => void;
}

/** A running {@link startIdleMemoryRelease}. */
export interface IdleMemoryReleaser {
  /** Releases so far. */
  readonly releases: number;
  stop(): void;
}

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let gcFunction: GcFunction | undefined;

/**
 * V8's `gc` without starting node with `--expose-gc`: a flag set now applies to contexts created
 * after it, so a fresh context has the function, and it collects the whole isolate's heap.
 */
function exposedGc(): GcFunction {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    if (typeof gc !== 'function') throw new Error('V8 did not expose gc() to a new context');
    gcFunction = gc as GcFunction;
  }
  return gcFunction;
}

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/**
 * Samples event-loop utilization and RSS every quarter of `idleMs` (100 ms to 1 s; one timer, no
 * hook on any message path, unref'd so it never keeps the process alive) and runs one
 * last-resort collection when {@link observeMemory} says a release is due, logging its pause.
 * With `idleMs` 0 nothing starts. Prefer {@link shareIdleMemoryRelease}: memory is the process's,
 * so one releaser per process is enough.
 *
 * @example
 * const releaser = startIdleMemoryRelease({ idleMs: memoryReleaseIdleMsFromEnv(), logger });
 * // on shutdown
 * releaser.stop();
 */
export function startIdleMemoryRelease(options: IdleMemoryReleaseOptions): IdleMemoryReleaser {
  const rule: MemoryReleaseRule = {
    idleMs: options.idleMs ?? DEFAULT_MEMORY_RELEASE_IDLE_MS,
    quietUtilization: options.quietUtilization ?? DEFAULT_QUIET_UTILIZATION,
    growthBytes: options.growthBytes ?? DEFAULT_MEMORY_RELEASE_GROWTH_MB * MB,
  };
  let releases = 0;
  if (rule.idleMs <= 0) return { releases, stop: () => undefined };

  const everyMs = Math.min(1000, Math.max(100, Math.round(rule.idleMs / 4)));
  let state = initialMemoryReleaseState(process.memoryUsage.rss());
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    const sample: MemorySample = { elapsedMs: now - lastAt, utilization: performance.eventLoopUtilization(elu, lastElu).utilization, rssBytes: process.memoryUsage.rss() };
    lastElu = elu;
    lastAt = now;
    const next = observeMemory(rule, state, sample);
    state = next.state;
    if (!next.release) return;
    let gc: GcFunction;
    try {
      gc = exposedGc();
    } catch (err) {
      clearInterval(timer);
      options.logger.warn(`giving memory back after bursts is off: ${(err as Error).message}`);
      return;
    }
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    // A regular full collection frees the heap but keeps the freed pages pooled (RSS stays);
    // the last-resort one (V8's before it gives up on an allocation) also unmaps them.
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const pauseMs = Math.round((performance.now() - started) * 10) / 10;
    const cpu = process.cpuUsage(cpuBefore);
    const rssAfter = process.memoryUsage.rss();
    state = stateAfterRelease(rssAfter);
    releases++;
    // The pause was not the loop's own work: sampling starts again after it.
    lastElu = performance.eventLoopUtilization();
    lastAt = performance.now();
    const release: MemoryRelease = { rssBeforeMb: mb(sample.rssBytes), rssAfterMb: mb(rssAfter), heapUsedAfterMb: mb(process.memoryUsage().heapUsed), pauseMs, cpuMs: Math.round((cpu.user + cpu.system) / 100) / 10, quietMs: Math.round(next.state.quietMs) };
    options.logger.log({ msg: 'memory given back after a burst', ...release });
    options.onRelease?.(release);
  }, everyMs);
  timer.unref();
  return {
    get releases() {
      return releases;
    },
    stop: () => clearInterval(timer),
  };
}

let shared: { releaser: IdleMemoryReleaser; users: number } | undefined;

/**
 * The process's one {@link startIdleMemoryRelease}, started by the first caller (whose options
 * it runs with) and stopped when the last caller stops: several services started in one process
 * (tests, one-machine tools) share it. Returns the caller's stop.
 */
export function shareIdleMemoryRelease(options: IdleMemoryReleaseOptions): () => void {
  if ((options.idleMs ?? DEFAULT_MEMORY_RELEASE_IDLE_MS) <= 0) return () => undefined;
  shared ??= { releaser: startIdleMemoryRelease(options), users: 0 };
  const current = shared;
  current.users++;
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    current.users--;
    if (current.users === 0 && shared === current) {
      current.releaser.stop();
      shared = undefined;
    }
  };
}
