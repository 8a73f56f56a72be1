import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTask, prepTask, TaskStore, type HandoffContext } from '@baton/mcp-files';
import { runCli } from '../cli';
import { fakeClient, fakeDeps } from '../testing/fake-client';

// `baton agent run --files`: the command runner working a repository's task files, with no
// server. A temporary git repository, real `sh` scripts as the agent.

jest.setTimeout(60_000);

describe('baton agent run --files', () => {
  let root: string;
  let ctx: HandoffContext;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'baton-agent-files-'));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
    let t = Date.parse('2026-12-06T08:00:00Z');
    ctx = { store: await TaskStore.init(root), now: () => new Date((t += 60_000)) };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function readyTask(title: string, priority: string): Promise<string> {
    const { task } = await createTask(ctx, { title, priority });
    await prepTask(ctx, task.id, { goal: `Goal of ${title}`, criteria: [`${title} works`], ready: ['spec agreed'], done: ['tests pass'], files: ['out/result.txt'] });
    return task.id;
  }

  async function run(script: string, ...extra: string[]) {
    await writeFile(path.join(root, 'agent.sh'), script);
    const deps = fakeDeps(fakeClient({}), { env: { PATH: process.env['PATH'] } });
    const code = await runCli(['agent', 'run', '--id', 'coder-1', '--files', root, ...extra, '--output', 'out/result.txt', '--', 'sh', '{workdir}/agent.sh', '{task_md}', '{task_id}'], deps);
    return { code, out: deps.io.out, err: deps.io.err, connectedTo: deps.connectedTo };
  }

  const stateOf = async (id: string): Promise<string> => (await ctx.store.get(id)).state;

  it('runs the command on the claimed task and sends it to review with the outputs in the notes', async () => {
    const id = await readyTask('rate limit', 'P1');
    const script = 'mkdir -p out && { echo "brief:"; cat "$1"; } > out/result.txt && echo "$2 $BATON_TASK_ID" >> out/result.txt\n';
    const r = await run(script);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.connectedTo).toEqual([]);
    expect(await stateOf(id)).toBe('review');
    const result = await readFile(path.join(root, 'out/result.txt'), 'utf8');
    expect(result).toContain(`# Task ${id}: rate limit`);
    expect(result).toContain('Goal of rate limit');
    expect(result).toContain('- [ ] rate limit works');
    expect(result).toContain('- [ ] spec agreed');
    expect(result).toContain('- [ ] tests pass');
    expect(result).toContain('`out/result.txt`');
    expect(result).toContain(`${id} ${id}`);
    const stored = await ctx.store.get(id);
    expect(stored.task.agent).toBe('coder-1');
    expect(stored.task.implementationNotes).toContain('coder-1 · ready for review');
    expect(stored.task.implementationNotes).toContain('Outputs written:\n- out/result.txt');
    expect(r.out).toContain(`task ${id}: moved to review/`);
    expect(r.out.at(-1)).toBe('agent coder-1: 1 task worked');
  });

  it('a failing command leaves its exit code and stderr in Error Context and the task in failed/', async () => {
    const id = await readyTask('flaky', 'P1');
    const r = await run('echo "compiling" && echo "boom: cannot parse src/x.ts" >&2 && exit 3\n');
    expect(r.code).toBe(0);
    expect(await stateOf(id)).toBe('failed');
    const stored = await ctx.store.get(id);
    expect(stored.task.errorContext).toContain('coder-1 · failed');
    expect(stored.task.errorContext).toContain('EXIT_3: sh exited with code 3; end of stderr:\nboom: cannot parse src/x.ts');
    expect(r.out).toContain(`task ${id}: moved to failed/ (EXIT_3: sh exited with code 3; end of stderr:)`);
  });

  it('exit 0 without a declared output fails the task (OUTPUTS_MISSING)', async () => {
    const id = await readyTask('lazy', 'P1');
    await run('exit 0\n');
    expect(await stateOf(id)).toBe('failed');
    expect((await ctx.store.get(id)).task.errorContext).toContain('OUTPUTS_MISSING: the command exited with 0, but its outputs are not right: out/result.txt was not written');
  });

  it('takes P0 before P1, one task with --once, and all of them without', async () => {
    const p1 = await readyTask('later', 'P1');
    const p0 = await readyTask('urgent', 'P0');
    const script = 'mkdir -p out && echo "$2" >> out/order.txt && echo done > out/result.txt\n';
    await run(script, '--once');
    expect([await stateOf(p0), await stateOf(p1)]).toEqual(['review', 'ready']);
    const r = await run(script);
    expect(await stateOf(p1)).toBe('review');
    expect((await readFile(path.join(root, 'out/order.txt'), 'utf8')).trim().split('\n')).toEqual([p0, p1]);
    expect(r.out.at(-1)).toBe('agent coder-1: 1 task worked');
    const empty = await run(script);
    expect(empty.out).toEqual(['agent coder-1: no task in ready/ to take']);
    expect((await readdir(ctx.store.dirOf('review'))).sort()).toEqual([`${p1}.md`, `${p0}.md`].sort());
  });

  it('a directory without .mcp/tasks is a coded error and runs nothing', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'baton-agent-nofiles-'));
    try {
      const deps = fakeDeps(fakeClient({}), { env: { PATH: process.env['PATH'] } });
      expect(await runCli(['agent', 'run', '--id', 'coder-1', '--files', empty, '--', 'sh', '-c', 'touch ran'], deps)).not.toBe(0);
      expect(deps.io.err.join('\n')).toContain('no .mcp/tasks directory');
      await expect(readdir(empty)).resolves.toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
