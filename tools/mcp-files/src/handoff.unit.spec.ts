import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { runPostCommit, runPreCommit } from './git-hooks';
import { claimTask, completeTask, createTask, giveFeedback, nextTask, prepTask, requestReview, statusReport } from './handoff';
import { summarize, parseTaskFile } from './task-file';
import { runTestsForTask } from './test-runner';
import { tempRepo, type TempRepo } from './testing/temp-repo';

// The handoff chain of the file mode, end to end in a temporary git repository: a stub is
// prepared, claimed, reviewed, sent back, fixed, tested, committed and completed, and every
// piece of context written on the way is still in the file at the end.

const FAILING_TESTS = [process.execPath, '-e', "console.log('FAIL src/auth/login.spec.ts'); console.log('  ✕ locks out after 5 attempts (3 ms)'); console.error('Expected: 429\\nReceived: 200'); process.exit(1)"];
const PASSING_TESTS = [process.execPath, '-e', "console.log('Tests: 12 passed')"];

// git and node child processes on a shared machine: generous time, never a performance limit.
jest.setTimeout(60_000);

describe('file-mode handoffs', () => {
  let repo: TempRepo;
  beforeEach(async () => {
    repo = await tempRepo();
  });
  afterEach(() => repo.remove());

  const fileOf = async (id: string) => {
    const t = await repo.ctx.store.get(id);
    return { state: t.state, text: t.text, task: t.task };
  };

  it('runs the whole chain and keeps every piece of context', async () => {
    const { ctx } = repo;
    // 1. A person drops a stub in pending/.
    const created = await createTask(ctx, { title: 'Add login rate limit', priority: 'P0' });
    expect(created.task.id).toBe('TASK-001');
    expect(path.relative(repo.root, created.path)).toBe('.mcp/tasks/pending/TASK-001.md');
    expect((await nextTask(ctx, 'chatgpt', 'prep'))?.task.id).toBe('TASK-001');

    // 2. ChatGPT fleshes it out into ready/ with DoR and DoD.
    await prepTask(ctx, 'TASK-001', {
      by: 'chatgpt',
      goal: 'Lock an account for 15 minutes after 5 failed logins.',
      criteria: ['6th attempt within 15 minutes gets 429', 'lock is lifted after 15 minutes'],
      ready: ['API shape agreed with the frontend'],
      done: ['All tests pass', 'Code reviewed'],
      files: ['src/auth/login.ts', 'src/auth/login.spec.ts'],
      notes: 'Use the existing Redis client.',
    });
    expect((await fileOf('TASK-001')).state).toBe('ready');

    // 3. Cursor asks what to do and claims it.
    expect((await nextTask(ctx, 'cursor'))?.task.id).toBe('TASK-001');
    await claimTask(ctx, undefined, 'cursor', 'Starting with the counter.');
    expect(await fileOf('TASK-001')).toMatchObject({ state: 'in-progress', task: { agent: 'cursor' } });

    // 4. A commit touching the task's files: the pre-commit hook records the branch, the post-commit hook the commit.
    repo.git('checkout', '-q', '-b', 'feat/rate-limit');
    await repo.write('src/auth/login.ts', 'export const limit = 5;\n');
    repo.git('add', 'src/auth/login.ts');
    expect(await runPreCommit(ctx, 'cursor')).toEqual(['TASK-001']);
    repo.git('commit', '-q', '-m', 'rate limit counter');
    expect(repo.git('show', '--name-only', '--format=', 'HEAD').split('\n')).toContain('.mcp/tasks/in-progress/TASK-001.md');
    expect(await runPostCommit(ctx)).toEqual(['TASK-001']);
    const head = repo.git('rev-parse', 'HEAD').trim();
    expect((await fileOf('TASK-001')).task.git).toEqual({ branch: 'feat/rate-limit', commit: head, pr: undefined });

    // 5. Cursor sends it to review; Codex sends it back with feedback.
    await requestReview(ctx, 'TASK-001', { by: 'cursor', notes: 'Counter in Redis, 15 minute TTL.' });
    expect((await nextTask(ctx, 'codex', 'review'))?.task.id).toBe('TASK-001');
    const fb = await giveFeedback(ctx, 'TASK-001', { from: 'codex', message: 'The lock must be per account, not per IP.' });
    expect(fb.task.status).toBe('ready');
    expect(await readFile(path.join(repo.root, fb.feedbackFile), 'utf8')).toContain('The lock must be per account, not per IP.');
    // The feedback flows back to the implementer: it is cursor's next task.
    expect((await nextTask(ctx, 'cursor'))?.task).toMatchObject({ id: 'TASK-001', agent: 'cursor' });

    // 6. Cursor claims it again; the tests fail: feedback file, Error Context, back in ready/.
    await claimTask(ctx, 'TASK-001', 'cursor');
    const failed = await runTestsForTask(ctx, { agent: 'cursor', command: FAILING_TESTS });
    expect(failed).toMatchObject({ taskId: 'TASK-001', passed: false, exitCode: 1, state: 'ready', failingTests: ['src/auth/login.spec.ts', 'locks out after 5 attempts'] });
    const feedback = await readFile(path.join(repo.root, failed.feedbackFile!), 'utf8');
    expect(feedback).toContain('- locks out after 5 attempts');
    expect(feedback).toContain('Expected: 429\nReceived: 200');
    const afterFailure = await fileOf('TASK-001');
    expect(afterFailure.state).toBe('ready');
    expect(afterFailure.task.errorContext).toContain('- locks out after 5 attempts');
    expect(afterFailure.task.errorContext).toContain(failed.feedbackFile!);

    // 7. Fixed: claimed, tests pass, reviewed again, completed.
    await claimTask(ctx, 'TASK-001', 'cursor');
    expect(await runTestsForTask(ctx, { taskId: 'TASK-001', command: PASSING_TESTS })).toMatchObject({ passed: true, state: 'in-progress' });
    await requestReview(ctx, 'TASK-001', { notes: 'Per account now.' });
    await completeTask(ctx, 'TASK-001', { by: 'codex', notes: 'Approved.' });

    const end = await fileOf('TASK-001');
    expect(end.state).toBe('done');
    expect(await readdir(path.join(repo.root, '.mcp/tasks/done'))).toEqual(['TASK-001.md']);
    for (const piece of [
      '# Task: TASK-001 - Add login rate limit',
      '## Status: done',
      '## Priority: P0',
      '## Agent: cursor',
      'Lock an account for 15 minutes after 5 failed logins.',
      '- [ ] 6th attempt within 15 minutes gets 429',
      '- [ ] API shape agreed with the frontend',
      '- [ ] Code reviewed',
      '- src/auth/login.spec.ts',
      'Use the existing Redis client.',
      'Starting with the counter.',
      'commit on feat/rate-limit\nFiles: src/auth/login.ts',
      'Counter in Redis, 15 minute TTL.',
      'The lock must be per account, not per IP.',
      'locks out after 5 attempts',
      'tests passed',
      'Per account now.',
      'Approved.',
      '- Branch: feat/rate-limit',
      `- Commit: ${head}`,
    ]) {
      expect(end.text).toContain(piece);
    }
    expect(summarize(parseTaskFile(end.text)).reviewFeedback).toMatch(/changes requested \(round 1\)[\s\S]*approved/);
    const log = await readFile(path.join(repo.root, '.mcp/handoffs.log'), 'utf8');
    expect(log).toContain('TASK-001 review -> ready by codex');
    expect((await statusReport(ctx)).counts).toEqual({ pending: 0, ready: 0, 'in-progress': 0, review: 0, done: 1, failed: 0 });
  });

  it('offers P0 first and holds back a task whose dependency is not done', async () => {
    const { ctx } = repo;
    const prep = (id: string) => prepTask(ctx, id, { goal: 'g', criteria: ['c'], files: ['x.ts'] });
    await createTask(ctx, { title: 'base', priority: 'P2' });
    await createTask(ctx, { title: 'depends on base', priority: 'P0', dependsOn: ['TASK-001'] });
    await createTask(ctx, { title: 'urgent', priority: 'P0' });
    await createTask(ctx, { title: 'normal', priority: 'P1' });
    for (const id of ['TASK-001', 'TASK-002', 'TASK-003', 'TASK-004']) await prep(id);
    expect((await nextTask(ctx, 'cursor'))?.task.id).toBe('TASK-003');
    expect((await statusReport(ctx)).tasks.find((t) => t.id === 'TASK-002')?.waitingFor).toEqual(['TASK-001']);
    await claimTask(ctx, 'TASK-003', 'cursor');
    expect((await nextTask(ctx, 'cursor'))?.task.id).toBe('TASK-004');
    await claimTask(ctx, 'TASK-004', 'cursor');
    expect((await nextTask(ctx, 'cursor'))?.task.id).toBe('TASK-001');
    await claimTask(ctx, 'TASK-001', 'codex');
    await requestReview(ctx, 'TASK-001', {});
    await completeTask(ctx, 'TASK-001', { by: 'chatgpt' });
    expect((await nextTask(ctx, 'cursor'))?.task.id).toBe('TASK-002');
  });
});
