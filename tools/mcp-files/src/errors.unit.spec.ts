import { execFileSync } from 'node:child_process';
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { claimTask, createTask, prepTask } from './handoff';
import { TaskStore } from './task-store';
import { tempRepo, type TempRepo } from './testing/temp-repo';

// Each refusal of the file mode: a code, a message that says what to do, and not one byte
// changed under .mcp/.

async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(path.join(root, '.mcp'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[path.relative(root, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

/**
 * Makes a directory refuse new and removed entries. Root ignores permission bits, so as root the
 * directory is marked immutable (chattr +i, which binds root too); otherwise its write bits go.
 */
async function makeReadOnly(dir: string): Promise<() => Promise<void>> {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', dir]);
    return async () => void execFileSync('chattr', ['-i', dir]);
  }
  await chmod(dir, 0o555);
  return () => chmod(dir, 0o755);
}

// git and node child processes on a shared machine: generous time, never a performance limit.
jest.setTimeout(60_000);

describe('file-mode errors', () => {
  let repo: TempRepo;
  beforeEach(async () => {
    repo = await tempRepo({ git: false });
  });
  afterEach(() => repo.remove());

  const readyTask = async (title = 'a task', dependsOn?: string[]) => {
    const { task } = await createTask(repo.ctx, { title, dependsOn });
    await prepTask(repo.ctx, task.id, { goal: 'g', criteria: ['c'], files: ['src/a.ts'] });
    return task.id;
  };

  it('a malformed task file: VALIDATION_FAILED naming the file and the line, nothing changed', async () => {
    const id = await readyTask();
    const file = path.join(repo.root, '.mcp/tasks/ready', `${id}.md`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('## Priority: P1', '## Priority: soon'));
    const before = await snapshot(repo.root);
    await expect(claimTask(repo.ctx, id, 'cursor')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining(`.mcp/tasks/ready/${id}.md is not a valid task file:\nline 5: priority "soon" is not one of P0, P1, P2`),
      details: expect.objectContaining({ reason: 'MALFORMED_TASK_FILE' }),
    });
    expect(await snapshot(repo.root)).toEqual(before);
  });

  it('a missing directory: NOT_FOUND naming it and how to create it', async () => {
    await readyTask();
    await rm(path.join(repo.root, '.mcp/tasks/review'), { recursive: true });
    const before = await snapshot(repo.root);
    await expect(TaskStore.open(repo.root)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'missing task directory .mcp/tasks/review; create it with: baton-files init',
      details: { reason: 'MISSING_STATE_DIRECTORY', missing: ['.mcp/tasks/review'] },
    });
    await rm(path.join(repo.root, '.mcp'), { recursive: true });
    await expect(TaskStore.open(repo.root)).rejects.toMatchObject({ code: 'NOT_FOUND', details: expect.objectContaining({ reason: 'NO_TASK_DIRECTORY' }) });
    expect(before).toBeDefined();
  });

  it.each(['in-progress', 'ready'])('a read-only %s directory: FORBIDDEN, the task stays where it was', async (dir) => {
    const id = await readyTask();
    const before = await snapshot(repo.root);
    const restore = await makeReadOnly(path.join(repo.root, '.mcp/tasks', dir));
    try {
      await expect(claimTask(repo.ctx, id, 'cursor')).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringMatching(/is not writable \((EPERM|EACCES)\); nothing was changed$/),
        details: expect.objectContaining({ reason: 'NOT_WRITABLE' }),
      });
    } finally {
      await restore();
    }
    const after = await snapshot(repo.root);
    // The handoff log line is written only for a move that happened.
    expect(after).toEqual(before);
  });

  it('a task directory that is a file: NOT_FOUND before anything is read or moved', async () => {
    const id = await readyTask();
    await rm(path.join(repo.root, '.mcp/tasks/in-progress'), { recursive: true });
    await writeFile(path.join(repo.root, '.mcp/tasks/in-progress'), 'not a directory');
    const before = await snapshot(repo.root);
    await expect(TaskStore.open(repo.root).then((store) => claimTask({ store, now: repo.ctx.now }, id, 'cursor'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { reason: 'MISSING_STATE_DIRECTORY', missing: ['.mcp/tasks/in-progress'] },
    });
    expect(await snapshot(repo.root)).toEqual(before);
  });

  it('two claims at once: exactly one wins, the other gets CONFLICT and changes nothing', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await readyTask(`task ${i}`));
    const results = await Promise.allSettled(ids.flatMap((id) => [claimTask(repo.ctx, id, 'cursor'), claimTask(repo.ctx, id, 'codex')]));
    for (let i = 0; i < ids.length; i++) {
      const pair = [results[2 * i]!, results[2 * i + 1]!];
      const won = pair.filter((r) => r.status === 'fulfilled');
      const lost = pair.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ code: 'CONFLICT' });
      expect(lost[0]!.reason).toMatchObject({ details: expect.objectContaining({ reason: 'ALREADY_CLAIMED' }) });
      const winner = (won[0] as PromiseFulfilledResult<{ task: { agent: string } }>).value.task.agent;
      const stored = await repo.ctx.store.get(ids[i]!);
      expect(stored.state).toBe('in-progress');
      expect(stored.task.agent).toBe(winner);
    }
    // A claim after the fact gets the same answer, naming who has it.
    await expect(claimTask(repo.ctx, ids[0]!, 'chatgpt')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^task TASK-001 was already claimed by (cursor|codex) \(it is in in-progress\/\); nothing was changed$/) });
    // No temporary files left behind by the losers.
    expect((await readdir(path.join(repo.root, '.mcp/tasks/in-progress'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('claiming while a dependency is not done: CONFLICT naming it, nothing changed', async () => {
    const base = await readyTask('base');
    const dependent = await readyTask('dependent', [base]);
    const before = await snapshot(repo.root);
    await expect(claimTask(repo.ctx, dependent, 'cursor')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `task ${dependent} depends on ${base}, which is not done yet; nothing was changed`,
      details: { reason: 'DEPENDENCIES_NOT_DONE', id: dependent, waitingFor: [base] },
    });
    expect(await snapshot(repo.root)).toEqual(before);
  });

  it('a move the state does not allow: ILLEGAL_TRANSITION saying where the task is', async () => {
    const { task } = await createTask(repo.ctx, { title: 'stub' });
    const before = await snapshot(repo.root);
    await expect(claimTask(repo.ctx, task.id, 'cursor')).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      message: `cannot claim task ${task.id}: it is in pending/, and claim takes a task from ready/`,
    });
    await expect(prepTask(repo.ctx, task.id, {})).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'NOT_READY', id: task.id, missing: ['Goal', 'Acceptance Criteria (at least one item)', 'Files Affected'] },
    });
    expect(await snapshot(repo.root)).toEqual(before);
  });
});
