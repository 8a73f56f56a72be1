/**
 * What every part of bench:dispatch shares: statistics, bounded waits, /proc readings (RSS,
 * CPU), child processes kept on a leash, a private nats-server and throw-away databases.
 * Everything listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { transformSync } from '@swc/core';
import { Pool } from 'pg';
import { dropDatabase, freePort } from '@baton/testing';

export const ROOT = resolve(__dirname, '..');
export const ADMIN_URL = process.env.DATABASE_URL?.trim() || 'postgres://baton:baton@127.0.0.1:5432/baton';
/**
 * Whether the processes a bench starts export traces: only with `BENCH_TRACING=1`. Otherwise they
 * get `OTEL_SDK_DISABLED=true`, so an OTLP endpoint left in the shell (`scripts/infra.sh env`
 * exports one for the tests) does not add the tracing SDK's cost to figures compared with peers
 * that trace nothing (one pair of quick baton-part runs: 3.36 against 2.31 ms of scheduler CPU per lifecycle).
 */
export const BENCH_TRACING = process.env.BENCH_TRACING === '1';

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
export interface Stats {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly n: number;
}
export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { p50Ms: round(pct(s, 50)), p99Ms: round(pct(s, 99)), maxMs: round(s[s.length - 1] ?? Number.NaN), n: s.length };
}
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));
/** Monotonic µs, the clock of V8's .cpuprofile timestamps (CLOCK_MONOTONIC) in every process. */
export const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);

export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A time budget: parts ask what is left and stop by themselves before it runs out. */
export class Budget {
  private readonly start = performance.now();
  constructor(readonly totalMs: number) {}
  elapsedMs(): number {
    return performance.now() - this.start;
  }
  leftMs(): number {
    return Math.max(0, this.totalMs - this.elapsedMs());
  }
  /** A deadline (performance.now() clock) `share` of what is left from now, at least `minMs`. */
  deadline(share: number, minMs = 1000): number {
    return performance.now() + Math.max(minMs, share * this.leftMs());
  }
}

export function rssOf(pid: number | undefined): { rssMb: number; hwmMb: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? Number.NaN);
    return { rssMb: round(kb('VmRSS') / 1024, 1), hwmMb: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of a process so far, in ms, from /proc (10 ms resolution). */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU of the Postgres backends serving one database (from /proc; the server runs on this
 * machine). Take one reading before and one after a window; {@link pgCpuDeltaMs} counts a
 * backend that appeared in between from zero.
 */
export async function pgBackendCpu(pool: Pool): Promise<Map<number, number>> {
  const rows = (await pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows as { pid: number }[];
  return new Map(rows.map((r) => [r.pid, cpuMsOf(r.pid) ?? 0]));
}
export function pgCpuDeltaMs(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, v] of after) ms += v - (before.get(pid) ?? 0);
  return ms;
}

/** What this run started and has not cleaned up yet: an interrupted run (Ctrl-C) stops and drops it. */
const started = { procs: new Set<ChildProcess>(), databases: new Set<BenchDatabase>() };
function track(proc: ChildProcess): void {
  started.procs.add(proc);
  proc.once('exit', () => started.procs.delete(proc));
}
/** On SIGINT/SIGTERM: SIGKILL every process this run started (by pid), drop its databases, exit 130. */
export function cleanUpOnSignal(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping what this run started`);
    for (const p of started.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    void Promise.allSettled([...started.databases].map((d) => d.drop())).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** A child process whose output is kept (last lines) for error reports. */
export interface Child {
  readonly proc: ChildProcess;
  readonly tail: string[];
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}
export function startChild(label: string, args: string[], env: NodeJS.ProcessEnv, command: string = process.execPath): Child {
  const proc = spawn(command, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...(BENCH_TRACING ? {} : { OTEL_SDK_DISABLED: 'true' }), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(proc);
  const tail: string[] = [];
  const lines: string[] = [];
  // BENCH_SERVICE_LOG_DIR: every line of every child, kept in <dir>/<label>.log (diagnosis: the tail keeps 40).
  const logDir = process.env.BENCH_SERVICE_LOG_DIR?.trim();
  const logFile = logDir ? join(logDir, `${label}.log`) : undefined;
  if (logDir) mkdirSync(logDir, { recursive: true });
  const keep = (buf: Buffer, isStdout: boolean) => {
    if (logFile) appendFileSync(logFile, buf);
    for (const line of buf.toString().split('\n')) {
      if (!line) continue;
      tail.push(`${label}: ${line}`);
      if (tail.length > 40) tail.shift();
      if (isStdout) lines.push(line);
    }
  };
  proc.stdout!.on('data', (b: Buffer) => keep(b, true));
  proc.stderr!.on('data', (b: Buffer) => keep(b, false));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, tail, lines, exited };
}
export async function stopChild(c: Child | undefined, graceMs: number): Promise<void> {
  if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const t = await Promise.race([c.exited.then(() => 'exited'), sleep(graceMs).then(() => 'late')]);
  if (t === 'late') {
    log(`child ${c.proc.pid} did not stop in ${graceMs} ms; killing it`);
    c.proc.kill('SIGKILL');
    await c.exited;
  }
}

/**
 * A bench preload (`bench/*.ts`) compiled here to CommonJS under node_modules/.cache/baton-bench/
 * (so `pg` and the like resolve from the repository), for the measured service to load as plain
 * JavaScript. Loaded as `.ts`, Node's type stripping would load its own compiler (SWC built to
 * WebAssembly) into the service: about 20 MB of RSS no deployment has.
 */
function compiledPreload(file: string): string {
  const out = join(ROOT, 'node_modules/.cache/baton-bench', `${basename(file, '.ts')}.js`);
  const { code } = transformSync(readFileSync(file, 'utf8'), {
    filename: file,
    swcrc: false,
    module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  });
  mkdirSync(dirname(out), { recursive: true });
  // Write + rename: a service another bench starts at the same time never loads half a file.
  writeFileSync(`${out}.${process.pid}.tmp`, code);
  renameSync(`${out}.${process.pid}.tmp`, out);
  return out;
}

/**
 * Starts a Baton service from its compiled output (`services/<name>/dist/main.js`) through
 * scripts/start-service.sh with this Node (first on PATH), as `npm start` and the image run it, Node memory
 * settings included (`npm run bench:*` builds first), and waits for /health/ready. A `.ts`
 * preload in `extraNodeArgs` is compiled to JavaScript first ({@link compiledPreload}), so no
 * TypeScript compiler sits in the measured process.
 */
export async function startService(name: string, env: NodeJS.ProcessEnv, extraNodeArgs: string[] = []): Promise<Child & { httpPort: number }> {
  const httpPort = await freePort();
  const main = `services/${name}/dist/main.js`;
  if (!existsSync(join(ROOT, main))) throw new Error(`${main} is missing: run npm run build first`);
  const nodeArgs = extraNodeArgs.map((a, i) => (a.endsWith('.ts') && (extraNodeArgs[i - 1] === '-r' || extraNodeArgs[i - 1] === '--require') ? compiledPreload(a) : a));
  const svc = startChild(
    name,
    [join(ROOT, 'scripts/start-service.sh'), main, '--no-warnings=ExperimentalWarning', ...nodeArgs],
    { LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', ...env, HTTP_PORT: String(httpPort), PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    'sh',
  );
  await waitUntil(`${name} to be ready`, 120_000, async () => {
    if (svc.proc.exitCode !== null) throw new Error(`${name} exited with ${svc.proc.exitCode}:\n${svc.tail.join('\n')}`);
    try {
      return (await fetch(`http://127.0.0.1:${httpPort}/health/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 100).catch(async (err: unknown) => {
    await stopChild(svc, 5000);
    throw err;
  });
  return { ...svc, httpPort };
}

function natsServerBinary(): string {
  const candidates = [process.env.BATON_NATS_SERVER, join(process.env.BATON_TOOLS_DIR ?? join(homedir(), '.cache/baton/bin'), 'nats-server')];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'nats-server'));
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('no nats-server binary (set BATON_NATS_SERVER, run `npm run infra:up` once, or use --shared-nats)');
  return found;
}

export interface PrivateNats {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly monitor: string;
  stop(): Promise<void>;
}

/** A private nats-server with JetStream on free 127.0.0.1 ports; its store lives under `dir`. */
export async function startPrivateNats(dir: string): Promise<PrivateNats> {
  const port = await freePort();
  const http = await freePort();
  mkdirSync(join(dir, 'jetstream'), { recursive: true });
  const conf = join(dir, 'nats.conf');
  writeFileSync(conf, `listen: 127.0.0.1:${port}\nhttp: 127.0.0.1:${http}\nmax_payload: 8MB\njetstream {\n  store_dir: "${join(dir, 'jetstream')}"\n}\n`);
  const proc = spawn(natsServerBinary(), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  track(proc);
  const errTail: string[] = [];
  proc.stderr!.on('data', (b: Buffer) => {
    errTail.push(b.toString());
    if (errTail.length > 20) errTail.shift();
  });
  const exited = new Promise((r) => proc.once('exit', r));
  const monitor = `http://127.0.0.1:${http}`;
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  await waitUntil('the private nats-server', 15_000, async () => {
    if (proc.exitCode !== null) throw new Error(`nats-server exited: ${errTail.join('')}`);
    try {
      return (await fetch(`${monitor}/healthz?js-enabled-only=true`)).status === 200;
    } catch {
      return false;
    }
  }, 50).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { proc, url: `nats://127.0.0.1:${port}`, monitor, stop };
}

/** A fresh database on the bench's Postgres server, dropped (with its connections) by `drop`. */
export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new Pool({ connectionString: ADMIN_URL, max: 1 });
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db: BenchDatabase = {
    name,
    url: url.toString(),
    drop: async () => {
      const a = new Pool({ connectionString: ADMIN_URL, max: 1 });
      try {
        // After a long drain an autovacuum worker may be in it, which FORCE may not end: dropDatabase waits for it.
        await dropDatabase(a, name);
        started.databases.delete(db);
      } finally {
        await a.end();
      }
    },
  };
  started.databases.add(db);
  return db;
}
