import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HOOK_MARKER, installHooks, matchesAffected } from './git-hooks';
import { claimTask, createTask, prepTask } from './handoff';
import { failingTestsIn, lastLines } from './test-output';
import { tempRepo, type TempRepo } from './testing/temp-repo';

// The git hooks as git runs them: installed into a temporary repository, then a plain
// `git commit` starts the compiled baton-files (built here first, as `npm run build` would).

const repoRoot = path.resolve(__dirname, '..', '..', '..');

// git and node child processes on a shared machine: generous time, never a performance limit.
jest.setTimeout(60_000);

describe('git hooks', () => {
  let repo: TempRepo;
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs'), 'libs/contracts', 'tools/mcp-files'], { cwd: repoRoot, stdio: 'pipe' });
  });
  beforeEach(async () => {
    repo = await tempRepo();
  });
  afterEach(() => repo.remove());

  const commit = (message: string, env: Record<string, string> = {}) =>
    execFileSync('git', ['commit', '-q', '-m', message], {
      cwd: repo.root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com', ...env },
    });

  it('pre-commit moves the touched ready task to in-progress with the branch; post-commit records the commit', async () => {
    const { ctx } = repo;
    const { task } = await createTask(ctx, { title: 'rate limit', priority: 'P0' });
    await prepTask(ctx, task.id, { goal: 'g', criteria: ['c'], files: ['src/auth/'] });
    const { task: other } = await createTask(ctx, { title: 'unrelated' });
    await prepTask(ctx, other.id, { goal: 'g', criteria: ['c'], files: ['docs/*.md'] });
    await repo.write('README.md', 'x\n');
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'start');
    const hooks = await installHooks(repo.root);
    expect(hooks.map((h) => path.basename(h))).toEqual(['pre-commit', 'post-commit']);
    expect(await readFile(hooks[0]!, 'utf8')).toContain(HOOK_MARKER);

    repo.git('checkout', '-q', '-b', 'feat/limit');
    await repo.write('src/auth/login.ts', 'export {};\n');
    repo.git('add', 'src/auth/login.ts');
    commit('login limit', { BATON_AGENT: 'cursor' });

    // The hook's update went into the same commit: the task file moved in git too.
    const changed = repo.git('show', '--name-status', '--format=', 'HEAD');
    expect(changed).toMatch(new RegExp(`R\\d+\\s+\\.mcp/tasks/ready/${task.id}\\.md\\s+\\.mcp/tasks/in-progress/${task.id}\\.md`));
    const head = repo.git('rev-parse', 'HEAD').trim();
    const stored = await ctx.store.get(task.id);
    expect(stored.state).toBe('in-progress');
    expect(stored.task.agent).toBe('cursor');
    expect(stored.task.git).toEqual({ branch: 'feat/limit', commit: head, pr: undefined });
    expect(stored.task.implementationNotes).toContain('cursor · commit on feat/limit started the work\nFiles: src/auth/login.ts');
    expect((await ctx.store.get(other.id)).state).toBe('ready');
    // The commit id arrives after the commit: it waits in the working tree for the next one.
    expect(repo.git('status', '--porcelain')).toBe(` M .mcp/tasks/in-progress/${task.id}.md\n`);

    // A second commit on a task already in progress: status stays, the progress and the new commit are recorded.
    await repo.write('src/auth/login.ts', 'export const n = 1;\n');
    repo.git('add', 'src/auth/login.ts');
    commit('more');
    const again = await ctx.store.get(task.id);
    expect(again.state).toBe('in-progress');
    expect(again.task.git.commit).toBe(repo.git('rev-parse', 'HEAD').trim());
    expect(again.text).toContain(`- Commit: ${repo.git('rev-parse', 'HEAD').trim()}`);
    expect(again.task.implementationNotes.match(/commit on feat\/limit/g)).toHaveLength(2);
  });

  it('never overwrites a hook someone else wrote', async () => {
    await installHooks(repo.root);
    const pre = path.join(repo.root, '.git/hooks/pre-commit');
    await writeFile(pre, '#!/bin/sh\nnpm run lint\n');
    await expect(installHooks(repo.root)).rejects.toMatchObject({ code: 'CONFLICT', details: expect.objectContaining({ reason: 'HOOK_EXISTS', file: pre }) });
    expect(await readFile(pre, 'utf8')).toBe('#!/bin/sh\nnpm run lint\n');
  });

  it('a claimed task whose files are not in the commit is left alone', async () => {
    const { ctx } = repo;
    const { task } = await createTask(ctx, { title: 't' });
    await prepTask(ctx, task.id, { goal: 'g', criteria: ['c'], files: ['src/x.ts'] });
    await claimTask(ctx, task.id, 'cursor');
    const before = (await ctx.store.get(task.id)).text;
    await installHooks(repo.root);
    await repo.write('other.ts', '1\n');
    repo.git('add', 'other.ts');
    commit('other');
    expect((await ctx.store.get(task.id)).text).toBe(before);
  });
});

describe('what the hooks and the test wrapper read', () => {
  it.each<[entry: string, file: string, matches: boolean]>([
    // exact paths and directories
    ['src/auth/login.ts', 'src/auth/login.ts', true], ['./src/auth', 'src/auth/login.ts', true], ['src/auth', 'src/authz/x.ts', false],
    // globs
    ['src/**/*.spec.ts', 'src/a/b/c.spec.ts', true], ['src/*.ts', 'src/a/b.ts', false], ['docs/*.md', 'docs/a.md', true],
  ])('matches the Files Affected entry %s against %s: %p', (entry, file, matches) => {
    expect(matchesAffected(entry, file)).toBe(matches);
  });

  it('finds failing tests in the output of common runners', () => {
    const out = [
      'FAIL src/login.spec.ts',
      '  ● login › locks out after 5 attempts',
      '    ✕ rejects bad tokens (4 ms)',
      'not ok 3 - parses headers',
      'FAILED tests/test_api.py::test_get - AssertionError',
      '--- FAIL: TestRateLimit (0.00s)',
      '  2 failing',
      '  1) Auth handles expiry:',
      '\u001b[31m✕ coloured name\u001b[39m',
    ].join('\n');
    expect(failingTestsIn(out)).toEqual([
      'src/login.spec.ts',
      'login › locks out after 5 attempts',
      'rejects bad tokens',
      'parses headers',
      'tests/test_api.py::test_get',
      'TestRateLimit',
      'Auth handles expiry:',
      'coloured name',
    ]);
    expect(lastLines('a\nb\nc\nd', 2)).toBe('… 2 earlier lines left out …\nc\nd');
  });
});
