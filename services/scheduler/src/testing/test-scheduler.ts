import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase, testNatsAuth } from '@baton/testing';
import { startScheduler, type SchedulerApp, type StartSchedulerOptions } from '../adapters/scheduler.app';
import { FakeAgentRegistry } from './agent-events';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(REPO_ROOT, 'services/scheduler/src/main.ts');

/**
 * Starts an in-process scheduler on the test database and the test NATS server with the settings
 * the integration tests share: HTTP on a free loopback port, silent, 3 s lease, 500 ms polls, a
 * consumer of its own reading new agent events only. `overrides` changes any of them.
 *
 * @example
 * const scheduler = await startTestScheduler(tdb.url, { dispatchPollMs: 1000 });
 */
export function startTestScheduler(databaseUrl: string, overrides: Partial<StartSchedulerOptions> = {}): Promise<SchedulerApp> {
  return startScheduler({
    databaseUrl,
    natsUrl: testNatsUrl(),
    httpPort: 0,
    httpHost: '127.0.0.1',
    logger: false,
    agingIntervalMs: 60_000,
    leaseTtlMs: 3000,
    dispatchPollMs: 500,
    timerPollMs: 500,
    dispatchBatchSize: 200,
    consumerName: uniqueId('sched'),
    agentEventsFrom: 'new',
    ...overrides,
  });
}

/** A test's own NATS connection, a Baton client on it, and a fake agent registry publishing on it. */
export interface TestClient {
  readonly nc: NatsConnection;
  readonly client: BatonClient;
  readonly registry: FakeAgentRegistry;
}

/**
 * Connects to the test NATS server as a client of the scheduler (close `nc` after the tests).
 *
 * @example
 * ({ nc, client, registry } = await connectTestClient());
 */
export async function connectTestClient(timeoutMs = 10_000): Promise<TestClient> {
  const nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
  return { nc, client: new BatonClient(nc, { timeoutMs }), registry: new FakeAgentRegistry(jetstream(nc)) };
}

/** A fresh database, an in-process scheduler holding the dispatcher lease on it, and a test client. */
export interface SchedulerHarness extends TestClient {
  readonly tdb: TestDatabase;
  readonly scheduler: SchedulerApp;
  /** Closes the client connection and the scheduler, then drops the database (an afterAll's clean-up). */
  close(): Promise<void>;
}

/**
 * Creates a database named after `dbName`, starts a test scheduler on it (`overrides` as in
 * startTestScheduler), connects a test client and waits until the scheduler holds the dispatcher
 * lease, so that the tests start with tasks being dispatched. What started is closed again when a
 * later step fails.
 *
 * @example
 * h = await startSchedulerHarness('conflicts');
 * afterAll(() => h?.close());
 */
export async function startSchedulerHarness(dbName: string, overrides: Partial<StartSchedulerOptions> = {}): Promise<SchedulerHarness> {
  const tdb = await createTestDatabase(dbName);
  let scheduler: SchedulerApp | undefined;
  let testClient: TestClient | undefined;
  const close = async (): Promise<void> => {
    await testClient?.nc.close();
    await scheduler?.close();
    await tdb.drop();
  };
  try {
    scheduler = await startTestScheduler(tdb.url, overrides);
    testClient = await connectTestClient();
    const app = scheduler;
    await waitFor(() => app.lease.isHeld(), { what: 'the dispatcher lease' });
    return { ...testClient, tdb, scheduler, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A scheduler running as a child process (`services/scheduler/src/main.ts`). */
export interface SchedulerProcess {
  readonly proc: ChildProcess;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

/**
 * The environment of a child-process scheduler on the test database and NATS server: HTTP on a
 * free loopback port, warnings only, a 1.5 s lease, `pollMs` polls, new agent events only.
 *
 * @example
 * startSchedulerProcess(schedulerProcessEnv({ databaseUrl: tdb.url, consumerName, pollMs: 500 }))
 */
export function schedulerProcessEnv(options: { readonly databaseUrl: string; readonly consumerName: string; readonly pollMs: number }): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    NATS_URL: testNatsUrl(),
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SCHEDULER_LEASE_TTL_MS: '1500',
    SCHEDULER_DISPATCH_POLL_MS: String(options.pollMs),
    SCHEDULER_TIMER_POLL_MS: String(options.pollMs),
    SCHEDULER_CONSUMER_NAME: options.consumerName,
    SCHEDULER_AGENT_EVENTS_FROM: 'new',
  };
}

/** Starts `main.ts` in a child process with `env` added to this process's environment; stderr is collected. */
export function startSchedulerProcess(env: Record<string, string>): SchedulerProcess {
  const proc = spawn(process.execPath, ['-r', '@swc-node/register', MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stderr, exited };
}

/** Stops a child scheduler that is still running with `signal` and waits for it to exit (an afterAll's clean-up). */
export async function stopSchedulerProcess(child: SchedulerProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill(signal);
  await child.exited;
}

/**
 * Waits up to 60 s (a cold child compiles on start) until `ready` gives a truthy value, and
 * returns it; if the child exits first it fails at once with the child's stderr rather than
 * waiting out the timeout.
 *
 * @example
 * await waitForSchedulerProcess(child, async () => (await lease()) ?? false, 'the child scheduler to hold the lease');
 */
export function waitForSchedulerProcess<T>(child: SchedulerProcess, ready: () => Promise<T>, what: string): Promise<NonNullable<T>> {
  return waitFor(
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`scheduler exited ${child.proc.exitCode}: ${child.stderr.join('')}`);
      return ready();
    },
    { timeoutMs: 60_000, what },
  );
}

/**
 * Reads until what `read` returns satisfies `ok`, and returns that: read models run behind the
 * append, so a test waits for the view it expects instead of sleeping.
 *
 * @example
 * const done = await readUntil(() => client.query(GetTask, { taskId }), (t) => t.status === 'completed', { what: 'completed', timeoutMs: 15_000 });
 */
export async function readUntil<T>(read: () => Promise<T>, ok: (value: T) => boolean, opts: { readonly what: string; readonly timeoutMs: number }): Promise<T> {
  const got = await waitFor(
    async () => {
      const value = await read();
      return ok(value) ? { value } : undefined;
    },
    { what: opts.what, timeoutMs: opts.timeoutMs },
  );
  return got.value;
}
