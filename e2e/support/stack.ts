// Helpers of the e2e tier: Baton services and sim-agents as real processes (started the way
// users and the image start them, `node --enable-source-maps <workspace>/dist/main.js`), and a
// log of the domain events they publish to JetStream, read with nothing but the NATS client.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { EVENTS_STREAM, type RecordedEvent } from '@baton/contracts';
import { freePort, testServiceCredsFile, waitFor } from '@baton/testing';

export const repoRoot = path.resolve(__dirname, '../..');

/** A child process with its output kept (for failure messages) and split into lines. */
export class RunningProcess {
  readonly output: string[] = [];
  readonly lines: string[] = [];
  private partial = '';

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.stdout?.on('data', (d: Buffer) => this.onStdout(d.toString()));
    proc.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
  }

  private onStdout(text: string): void {
    this.output.push(text);
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.trim() !== ''));
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Fails with the process output if it exited. */
  assertRunning(): void {
    if (!this.running) throw new Error(`${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}):\n${this.output.join('').slice(-4000)}`);
  }

  exited(): Promise<void> {
    return this.running ? new Promise((r) => this.proc.once('exit', () => r())) : Promise.resolve();
  }

  /** SIGTERM and wait for the exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited();
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGKILL');
    await this.exited();
  }
}

let built = false;

/**
 * The compiled entry point of a workspace (`services/scheduler` → its `dist/main.js`). The first
 * call in a test process runs the build (`npm run build`, under a second), so the processes
 * run the sources as they are now, not a stale dist/.
 *
 * @example
 * spawn(process.execPath, ['--enable-source-maps', compiledMain('services/agent-registry')]);
 */
export function compiledMain(workspace: string): string {
  if (!built) {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs')], { cwd: repoRoot, stdio: 'pipe' });
    built = true;
  }
  return path.join(repoRoot, workspace, 'dist', 'main.js');
}

function spawnCompiled(name: string, workspace: string, args: readonly string[], env: Record<string, string>): RunningProcess {
  const proc = spawn(process.execPath, ['--enable-source-maps', compiledMain(workspace), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RunningProcess(name, proc);
}

export type ServiceName = 'agent-registry' | 'scheduler' | 'handoff-validator' | 'escalation' | 'metrics';

/** Spawns a service (compiled `services/<name>/dist/main.js`) on a free HTTP port without waiting for it. */
export async function spawnService(name: ServiceName, env: Record<string, string>): Promise<{ readonly svc: RunningProcess; readonly port: number }> {
  const port = await freePort();
  // Each service with its own credentials when the stack has them (a test's env may still override).
  const creds = testServiceCredsFile(name);
  return { svc: spawnCompiled(name, `services/${name}`, [], { ...(creds === undefined ? {} : { NATS_CREDS: creds }), ...env, HTTP_PORT: String(port) }), port };
}

/** Starts a service (compiled `services/<name>/dist/main.js`) and waits for `/health/ready`. */
export async function startService(name: ServiceName, env: Record<string, string>): Promise<RunningProcess> {
  return (await startServiceWithPort(name, env)).svc;
}

/** {@link startService}, with the HTTP port the service listens on (health, metrics). */
export async function startServiceWithPort(name: ServiceName, env: Record<string, string>): Promise<{ readonly svc: RunningProcess; readonly port: number }> {
  const { svc, port } = await spawnService(name, env);
  try {
    await waitFor(
      async () => {
        svc.assertRunning();
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return res.status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 100, what: `${name} /health/ready` },
    );
  } catch (err) {
    await svc.kill();
    throw new Error(`${(err as Error).message}\n${svc.output.join('').slice(-4000)}`, { cause: err });
  }
  return { svc, port };
}

/** The result of one `baton` CLI invocation as a process. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the `baton` CLI (tools/cli/bin/baton.js, which loads the compiled CLI) as a process, the way a person would. */
export function runBaton(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  compiledMain('tools/cli');
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(repoRoot, 'tools/cli/bin/baton.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** One line sim-agents prints with --json. */
export type SimLine = { readonly type: string; readonly agentId?: string; readonly taskId?: string; readonly [k: string]: unknown };

/** A sim-agents process run with --json, its stdout parsed into {@link SimLine}s. */
export class SimAgentsProcess extends RunningProcess {
  get events(): SimLine[] {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as SimLine];
      } catch {
        return [];
      }
    });
  }

  async waitForLine(match: (line: SimLine) => boolean, what: string, timeoutMs = 30_000): Promise<SimLine> {
    return waitFor(
      () => {
        const hit = this.events.find(match);
        if (!hit) this.assertRunning();
        return hit;
      },
      { timeoutMs, intervalMs: 50, what: `${this.name}: ${what}` },
    );
  }
}

/** Starts `tools/sim-agents` with --json and waits until its agents are registered and working. */
export async function startSimAgents(name: string, args: readonly string[], natsUrl: string): Promise<SimAgentsProcess> {
  const base = spawnCompiled(name, 'tools/sim-agents', ['--json', ...args], { NATS_URL: natsUrl });
  const sim = new SimAgentsProcess(name, base.proc);
  try {
    await sim.waitForLine((l) => l.type === 'sim.ready', 'ready', 60_000);
  } catch (err) {
    await sim.kill();
    throw err;
  }
  return sim;
}

/**
 * The task and agent events published from now on (an ordered consumer on `BATON_EVENTS`), for
 * assertions on what happened and when (`metadata.occurredAt` and the events' own timestamps).
 */
export class EventLog {
  readonly events: RecordedEvent[] = [];
  private constructor(private readonly messages: ConsumerMessages) {}

  static async start(nc: NatsConnection, subjects: readonly string[] = ['baton.evt.task.>', 'baton.evt.agent.>']): Promise<EventLog> {
    const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, {
      filter_subjects: [...subjects],
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Date.now() - 1000).toISOString(),
    });
    const messages = await consumer.consume();
    const log = new EventLog(messages);
    void (async () => {
      for await (const m of messages) {
        try {
          log.events.push(JSON.parse(m.string()) as RecordedEvent);
        } catch {
          // Not an event envelope: not ours to judge here.
        }
      }
    })();
    return log;
  }

  of(streamId: string, type?: string): RecordedEvent[] {
    return this.events.filter((e) => e.streamId === streamId && (type === undefined || e.type === type));
  }

  async waitFor(streamId: string, type: string, match: (data: Record<string, unknown>) => boolean = () => true, timeoutMs = 30_000): Promise<RecordedEvent<string, Record<string, unknown>>> {
    return waitFor(() => this.of(streamId, type).find((e) => match(e.data as Record<string, unknown>)) as RecordedEvent<string, Record<string, unknown>> | undefined, {
      timeoutMs,
      intervalMs: 50,
      what: `${type} on ${streamId}`,
    });
  }

  async stop(): Promise<void> {
    await this.messages.close().catch(() => undefined);
  }
}
