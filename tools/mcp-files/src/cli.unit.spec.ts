import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { runFilesCli } from './cli';
import { tempRepo, type TempRepo } from './testing/temp-repo';

// baton-files as a person or an agent types it: every command through the command line, with
// its output and exit code.

// git and node child processes on a shared machine: generous time, never a performance limit.
jest.setTimeout(60_000);

describe('baton-files commands', () => {
  let repo: TempRepo;
  let out: string[];
  let err: string[];
  beforeEach(async () => {
    repo = await tempRepo();
    out = [];
    err = [];
  });
  afterEach(() => repo.remove());

  let minute = 0;
  const run = (...argv: string[]) =>
    runFilesCli(argv, {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      cwd: path.join(repo.root, 'src'),
      env: { BATON_AGENT: 'cursor' },
      now: () => new Date(Date.parse('2026-12-06T08:00:00Z') + 60_000 * minute++),
    });
  const json = async (...argv: string[]) => {
    out = [];
    expect(await run('--json', ...argv)).toBe(0);
    return JSON.parse(out.join('\n')) as Record<string, unknown>;
  };

  it('init writes the directories and the agents guide, keeping an existing AGENTS.md', async () => {
    await repo.write('AGENTS.md', '# House rules\nRun lint first.\n');
    await repo.write('src/.keep', '');
    expect(await run('init')).toBe(0);
    const agents = await readFile(path.join(repo.root, 'AGENTS.md'), 'utf8');
    expect(agents.startsWith('# House rules\nRun lint first.\n\n<!-- baton-files:begin')).toBe(true);
    expect(agents).toContain('npx baton-files next --agent <you>');
    expect(await run('init')).toBe(0);
    expect((await readFile(path.join(repo.root, 'AGENTS.md'), 'utf8')).match(/baton-files:begin/g)).toHaveLength(1);
    expect(await readFile(path.join(repo.root, '.mcp/AGENTS.md'), 'utf8')).toContain('## Reviewer (e.g. Codex): accept or send back');
  });

  it('runs create, prep, next, claim, review, feedback, complete, fail and status', async () => {
    await repo.write('src/.keep', '');
    expect(await run('create', 'Add', 'login', 'rate', 'limit', '--priority', 'P0')).toBe(0);
    expect(out).toEqual(['TASK-001']);
    expect(await run('create', 'Write docs', '--depends-on', 'TASK-001')).toBe(0);
    expect(await run('prep', 'TASK-001', '--by', 'chatgpt', '--goal', 'Lock after 5 failures', '--criteria', '429 on the 6th', '--dor', 'API agreed', '--dod', 'Tests pass', '--files', 'src/auth/login.ts')).toBe(0);
    expect(await run('prep', 'TASK-002', '--goal', 'Docs', '--criteria', 'page exists', '--files', 'docs/auth.md')).toBe(0);
    expect(await json('next')).toMatchObject({ task: { id: 'TASK-001', priority: 'P0', path: '.mcp/tasks/ready/TASK-001.md' } });
    expect(await json('claim')).toMatchObject({ task: { id: 'TASK-001', agent: 'cursor', status: 'in-progress' } });
    expect(await run('claim', 'TASK-002', '--agent', 'codex')).toBe(1);
    expect(err.pop()).toBe('baton-files: CONFLICT: task TASK-002 depends on TASK-001, which is not done yet; nothing was changed');
    expect(await run('review', 'TASK-001', '--notes', 'done, see login.ts')).toBe(0);
    await repo.write('review.md', 'Lock per account.\n');
    expect(await run('feedback', 'TASK-001', '--from', 'codex', '--file', '../review.md')).toBe(0);
    expect(out.pop()).toMatch(/^TASK-001 sent back to ready\/ with feedback \(\.mcp\/feedback\/TASK-001-.*-review\.md\)$/);
    expect(await run('claim', 'TASK-001')).toBe(0);
    expect(await run('review', 'TASK-001')).toBe(0);
    expect(await run('complete', 'TASK-001', '--by', 'codex', '--notes', 'ok')).toBe(0);
    expect(await run('fail', 'TASK-002', '--reason', 'docs moved to the wiki')).toBe(0);
    out = [];
    expect(await run('status')).toBe(0);
    expect(out.join('\n')).toBe(
      [
        'pending (0)',
        'ready (0)',
        'in-progress (0)',
        'review (0)',
        'done (1)',
        '  TASK-001   P0  cursor       Add login rate limit',
        'failed (1)',
        '  TASK-002   P1  unassigned   Write docs',
      ].join('\n'),
    );
    const show = await json('show', 'TASK-001');
    expect(show['text']).toContain('Lock per account.');
    expect(show['text']).toContain('done, see login.ts');
  });

  it('the test command returns the failing exit code and sends the task back', async () => {
    await repo.write('src/.keep', '');
    await run('create', 't');
    await run('prep', 'TASK-001', '--goal', 'g', '--criteria', 'c', '--files', 'a.ts');
    await run('claim');
    expect(await run('test', '--', process.execPath, '-e', 'console.log("not ok 1 - adds"); process.exit(3)')).toBe(3);
    expect(out.pop()).toMatch(/^TASK-001: tests failed \(exit 3\); feedback in \.mcp\/feedback\/TASK-001-.*-test-failure\.md; the task is back in ready\/$/);
    expect(err).toContain('not ok 1 - adds');
  });

  it('reports refusals with their code and exit code 1', async () => {
    await repo.write('src/.keep', '');
    await rm(path.join(repo.root, '.mcp'), { recursive: true });
    expect(await run('status')).toBe(1);
    expect(err).toEqual([`baton-files: NOT_FOUND: no .mcp/tasks directory in ${path.join(repo.root, 'src')} or above; create one with: baton-files init`]);
    expect(await run('init')).toBe(0);
    expect(await run('create', 'x', '--priority', 'P9')).toBe(1);
    expect(err.pop()).toBe('baton-files: VALIDATION_FAILED: priority must be one of P0, P1, P2, got "P9"');
    expect(await run('complete', 'TASK-404')).toBe(1);
    expect(err.pop()).toBe('baton-files: NOT_FOUND: no task TASK-404 in .mcp/tasks');
  });
});
