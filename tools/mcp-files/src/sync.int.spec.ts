import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import { createTask, prepTask } from './handoff';
import { TaskStore } from './task-store';

// `baton files sync` against real processes: the agent-registry and the scheduler (compiled, on
// the test NATS and a fresh database), the `baton` CLI as a person runs it, and sim-agents
// working the imported tasks.

const repoRoot = path.resolve(__dirname, '..', '..', '..');

interface Proc {
  readonly proc: ChildProcess;
  readonly output: string[];
}

function start(main: string, args: readonly string[], env: Record<string, string>): Proc {
  const proc = spawn(process.execPath, ['--enable-source-maps', path.join(repoRoot, main), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  return { proc, output };
}

async function stop(p: Proc | undefined): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise((r) => p.proc.once('exit', r));
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startService(name: string, env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  const svc = start(`services/${name}/dist/main.js`, [], { ...env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port) });
  await waitFor(
    async () => {
      if (svc.proc.exitCode !== null) throw new Error(`${name} exited:\n${svc.output.join('')}`);
      return (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 90_000, intervalMs: 100, what: `${name} /health/ready` },
  );
  return svc;
}

function baton(args: readonly string[], natsUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(repoRoot, 'tools/cli/bin/baton.js'), ...args], { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '', NATS_URL: natsUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('baton files sync (int)', () => {
  let db: TestDatabase;
  let dir: string;
  let natsUrl: string;
  const procs: Proc[] = [];
  const namespace = uniqueId('sync').toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const capability = `file_task_${namespace.replace(/-/g, '_')}`;

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs')], { cwd: repoRoot, stdio: 'pipe' });
    natsUrl = testNatsUrl();
    db = await createTestDatabase('files_sync');
    dir = await mkdtemp(path.join(os.tmpdir(), 'baton-files-sync-'));
    const common = { DATABASE_URL: db.url, NATS_URL: natsUrl };
    procs.push(await startService('agent-registry', common));
    procs.push(
      await startService('scheduler', {
        ...common,
        SCHEDULER_CONSUMER_NAME: uniqueId('files-sync-scheduler').replace(/[^A-Za-z0-9_-]/g, '_'),
        SCHEDULER_AGENT_EVENTS_FROM: 'new',
        SCHEDULER_DISPATCH_POLL_MS: '500',
      }),
    );
  });

  afterAll(async () => {
    for (const p of procs.reverse()) await stop(p);
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const engineTasks = async () => {
    const r = await baton(['--json', 'tasks', 'list', '--limit', '1000'], natsUrl);
    if (r.code !== 0) throw new Error(`baton tasks list: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { tasks: { taskId: string; status: string; priority: string; inputs: Record<string, unknown> }[] }).tasks.filter((t) => t.taskId.startsWith(`files.${namespace}.`));
  };
  const sync = async () => {
    const r = await baton(['--json', 'files', '--dir', dir, 'sync', '--namespace', namespace, '--capability', capability], natsUrl);
    if (r.code !== 0) throw new Error(`baton files sync exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { submitted: unknown[]; alreadyImported: unknown[]; mirrored: { id: string; to: string }[]; waiting: unknown[]; skipped: unknown[] };
  };

  it('turns 20 ready file tasks into 20 engine tasks once, and mirrors their completion into done/', async () => {
    const store = await TaskStore.init(dir);
    const ctx = { store, now: () => new Date() };
    for (let i = 1; i <= 20; i++) {
      const { task } = await createTask(ctx, { title: `file task ${i}`, priority: i <= 5 ? 'P0' : 'P2' });
      await prepTask(ctx, task.id, { goal: `do thing ${i}`, criteria: [`thing ${i} works`], files: [`src/thing-${i}.ts`], notes: `note ${i}` });
    }

    const first = await sync();
    expect(first.submitted).toHaveLength(20);
    const imported = await waitFor(async () => {
      const tasks = await engineTasks();
      return tasks.length === 20 ? tasks : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, what: '20 engine tasks' });
    const one = imported.find((t) => t.taskId === `files.${namespace}.TASK-001`)!;
    expect(one).toMatchObject({ status: 'queued', priority: 'P0' });
    expect(one.inputs).toMatchObject({ fileTaskId: 'TASK-001', goal: 'do thing 1', acceptanceCriteria: ['thing 1 works'], filesAffected: ['src/thing-1.ts'], dependencies: [] });
    expect(String(one.inputs['implementationNotes'])).toContain('note 1');

    const second = await sync();
    expect(second.submitted).toEqual([]);
    expect(second.alreadyImported).toHaveLength(20);
    expect(await engineTasks()).toHaveLength(20);

    // Simulated agents with the capability work the tasks.
    const agentsFile = path.join(dir, 'agents.yaml');
    await writeFile(agentsFile, `agents:\n${[1, 2].map((n) => `  - { id: ${namespace}-agent-${n}, name: "Sim ${n}", role: implementer, capabilities: [${capability}], max_concurrency: 5, peers: [], lead: null }`).join('\n')}\n`);
    const sim = start('tools/sim-agents/dist/main.js', ['--agents', agentsFile, '--duration-ms', '50-200', '--steps', '1', '--json'], { NATS_URL: natsUrl });
    procs.push(sim);
    await waitFor(async () => {
      if (sim.proc.exitCode !== null) throw new Error(`sim-agents exited:\n${sim.output.join('')}`);
      return (await engineTasks()).every((t) => t.status === 'completed') || undefined;
    }, { timeoutMs: 120_000, intervalMs: 500, what: '20 completed engine tasks' });

    const third = await sync();
    expect(third.mirrored).toHaveLength(20);
    expect(new Set(third.mirrored.map((m) => m.to))).toEqual(new Set(['done']));
    expect((await readdir(path.join(dir, '.mcp/tasks/done'))).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `TASK-${String(i + 1).padStart(3, '0')}.md`));
    expect(await readdir(path.join(dir, '.mcp/tasks/ready'))).toEqual([]);
    const done = await store.get('TASK-007');
    expect(done.task.agent).toMatch(new RegExp(`^${namespace}-agent-[12]$`));
    expect(done.text).toContain('note 7');
    expect(done.text).toContain(`completed in Baton (task files.${namespace}.TASK-007)`);

    const fourth = await sync();
    expect(fourth).toMatchObject({ submitted: [], mirrored: [] });
    expect(await engineTasks()).toHaveLength(20);
  });
});
