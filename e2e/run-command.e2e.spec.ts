import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseWorkflowOrThrow } from '@baton/workflow-dsl';
import { createTestDatabase, ephemeralPortLow, FREE_PORT_FLOOR, portFree, type TestDatabase } from '@baton/testing';

// The run command as a user runs it: `bash scripts/run.sh --once` brings up every service,
// registers the example workflows, starts the simulated team and runs Feature Development to
// its end. Isolated from anything else on the machine: its own database, its own NATS server
// (scripts/infra.sh on free ports, state in a temp dir) and shifted health ports.

const root = path.resolve(__dirname, '..');
const SERVICE_PORTS = [3000, 3101, 3102, 3103, 3104, 3105, 3106];
/** NATS and its monitor, moved by the same offset. */
const NATS_PORTS = [3200, 3201] as const;
const RUN_DEADLINE_MS = 300_000;

/**
 * An offset that moves every service's port and the NATS ports onto free ones, all below the
 * range the OS picks outgoing connections' ports from: the services bind seconds after this
 * check, and meanwhile every connection the machine opens (health probes, pools) takes a port
 * from that range, which a listener there would then find in use.
 */
async function freePortOffset(): Promise<number> {
  const ports = [...SERVICE_PORTS, ...NATS_PORTS];
  const span = ephemeralPortLow() - 1 - Math.max(...ports) - FREE_PORT_FLOOR;
  if (span <= 0) throw new Error(`no room for the services' ports below the ephemeral port range (from ${ephemeralPortLow()})`);
  for (let i = 0; i < 50; i++) {
    const offset = FREE_PORT_FLOOR + Math.floor(Math.random() * span);
    const free = await Promise.all(ports.map((p) => portFree(p + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free block of service ports found');
}

interface Exit {
  readonly code: number | null;
  readonly output: string;
}

function runToExit(proc: ChildProcess, output: string[], timeoutMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGTERM');
      reject(new Error(`scripts/run.sh --once did not exit within ${timeoutMs} ms; output:\n${output.join('')}`));
    }, timeoutMs);
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.join('') });
    });
  });
}

describe('npm start -- --once (e2e)', () => {
  let db: TestDatabase;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  let proc: ChildProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('e2e_run_command');
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'baton-run-'));
    const offset = await freePortOffset();
    const [natsPort, monitorPort] = NATS_PORTS.map((p) => p + offset);
    env = {
      ...process.env,
      // `node` must be the Node 24 running this test (scripts spawn `node`).
      PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
      NODE_OPTIONS: '',
      NO_COLOR: '1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      BATON_STATE_DIR: stateDir,
      BATON_NATS_PORT: String(natsPort),
      BATON_NATS_MONITOR_PORT: String(monitorPort),
      BATON_PORT_OFFSET: String(offset),
    };
    delete env['NATS_URL'];
    delete env['AGENTS_FILE'];
    delete env['JEST_WORKER_ID'];
  });

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc?.once('close', r));
    }
    // Stops the NATS server infra.sh started for this test (PostgreSQL was reused, so it stays).
    if (env) await new Promise((r) => spawn('bash', ['scripts/infra.sh', 'down'], { cwd: root, env, stdio: 'ignore' }).once('close', r));
    await db?.drop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it(
    'brings Baton up, runs Feature Development with the simulated team to success, names every stage, and stops',
    async () => {
      const output: string[] = [];
      proc = spawn('bash', ['scripts/run.sh', '--once'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
      proc.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
      const { code, output: text } = await runToExit(proc, output, RUN_DEADLINE_MS);
      const logs = async (name: string): Promise<string> => readFile(path.join(stateDir, 'logs', `${name}.log`), 'utf8').catch(() => '(no log)');
      if (code !== 0) {
        // Its last lines first (why it stopped: a service's exit with the tail of its log, or the
        // run's end), then the logs: a CI report that keeps only the head of a long message keeps the reason.
        const last = text.trimEnd().split('\n').slice(-40).join('\n');
        throw new Error(
          `run.sh exited ${code}; its last lines:\n${last}\n--- scheduler.log (end) ---\n${(await logs('scheduler')).slice(-4000)}\n--- sim-agents.log (end) ---\n${(await logs('sim-agents')).slice(-4000)}\n--- run.sh, all of it ---\n${text}`,
        );
      }

      expect(text).toContain('Baton is up.');
      expect(text).toMatch(/feature-development\.yml\s+│ WF-FEAT-001\s+│ 1\.0\.0\s+│ registered/);
      expect(text).toMatch(/\[run\] \d+ agent\(s\) working on nats:\/\/127\.0\.0\.1:\d+/);
      const workflow = parseWorkflowOrThrow(await readFile(path.join(root, 'examples/workflows/feature-development.yml'), 'utf8'));
      expect(workflow.stageOrder.length).toBeGreaterThan(5);
      for (const stage of workflow.stageOrder) {
        expect(text).toMatch(new RegExp(`▶ stage ${stage} started`));
        expect(text).toMatch(new RegExp(`✓ stage ${stage} succeeded`));
      }
      const n = workflow.stageOrder.length;
      expect(text).toMatch(new RegExp(`run demo-\\S+ ended: success in .* \\(${n} succeeded, 0 failed, 0 skipped of ${n}\\)`));
      // production_deploy needs a person (requires_approval: Human); the demo approves it as demo-approver.
      expect(text).toMatch(/\[run\] approved stage production_deploy of demo-\S+ as demo-approver/);
      expect(text).toContain('[run] WF-FEAT-001 finished successfully');
      expect(text).toContain('[run] services stopped');

      // --once stopped everything it started: no pid files are left.
      expect(await readdir(path.join(stateDir, 'pids'))).toEqual([]);
    },
    RUN_DEADLINE_MS + 60_000,
  );
});
