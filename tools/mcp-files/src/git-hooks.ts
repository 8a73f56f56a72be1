import { execFile } from 'node:child_process';
import { chmod, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileModeError, translateFsError } from './errors';
import { appendEntry, stamp, type HandoffContext } from './handoff';
import { setGitField, setInline, summarize, type TaskState } from './task-file';
import { MCP_DIR } from './task-store';

const run = promisify(execFile);

/** Runs git in `cwd` and returns its stdout. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', [...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The marker line that tells our hook scripts from anyone else's. */
export const HOOK_MARKER = '# baton-files hook';

/** The hooks the file mode installs, and what each does. */
export const HOOKS = {
  'pre-commit': 'moves the tasks whose files the commit touches to in-progress, records the branch and adds the task files to the commit',
  'post-commit': 'records the new commit in the git context of the tasks the pre-commit hook updated',
} as const;
export type HookName = keyof typeof HOOKS;

/** The directory git runs hooks from (honours core.hooksPath). */
export async function hooksDir(root: string): Promise<string> {
  let out: string;
  try {
    out = (await git(root, ['rev-parse', '--git-path', 'hooks'])).trim();
  } catch {
    throw fileModeError('NOT_FOUND', 'NOT_A_GIT_REPOSITORY', `${root} is not a git repository; the hooks need one (git init)`, { root });
  }
  return path.resolve(root, out);
}

/**
 * Installs the pre-commit and post-commit hooks. Each runs `<node> <baton-files> hook <name>`
 * with absolute paths, so it works whatever PATH the committer has. A hook someone else wrote is
 * never overwritten: CONFLICT (HOOK_EXISTS) names it and the line to add to it.
 */
export async function installHooks(root: string, command: readonly string[] = [process.execPath, path.resolve(__dirname, '..', 'bin', 'baton-files.js')]): Promise<string[]> {
  const dir = await hooksDir(root);
  const quoted = command.map((c) => `'${c.replace(/'/g, `'\\''`)}'`).join(' ');
  const planned: { file: string; text: string }[] = [];
  for (const name of Object.keys(HOOKS) as HookName[]) {
    const file = path.join(dir, name);
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    const line = `${quoted} hook ${name}`;
    if (existing !== undefined && !existing.includes(HOOK_MARKER)) {
      throw fileModeError('CONFLICT', 'HOOK_EXISTS', `${file} exists and is not ours; add this line to it instead:\n${line}`, { file, line });
    }
    planned.push({ file, text: `#!/bin/sh\n${HOOK_MARKER} (baton-files hooks install): ${HOOKS[name]}.\nexec ${line}\n` });
  }
  for (const { file, text } of planned) {
    try {
      await writeFile(file, text);
      await chmod(file, 0o755);
    } catch (err) {
      translateFsError(err, file, 'install the git hooks');
    }
  }
  return planned.map((p) => p.file);
}

/** True when `file` is what the Files Affected entry names: the path, a directory above it, or a glob (`*`, `**`). */
export function matchesAffected(entry: string, file: string): boolean {
  const e = entry.trim().replace(/^\.\//, '').replace(/\s+\(.*\)$/, '');
  if (e === '') return false;
  if (e.includes('*')) {
    const re = e
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .split('**/')
      .map((a) => a.split('**').map((b) => b.split('*').join('[^/]*')).join('.*'))
      .join('(?:.*/)?');
    return new RegExp(`^${re}$`).test(file);
  }
  return file === e || file.startsWith(e.endsWith('/') ? e : `${e}/`);
}

const ACTIVE: readonly TaskState[] = ['ready', 'in-progress', 'review'];

async function pendingFile(root: string): Promise<string> {
  return path.resolve(root, (await git(root, ['rev-parse', '--git-path', 'baton-files-commit.json'])).trim());
}

/**
 * The pre-commit hook: for each task in ready/, in-progress/ or review/ whose Files Affected the
 * staged change touches, a ready task moves to in-progress/ (Agent: $BATON_AGENT when set), the
 * branch is recorded in Git Context, a progress entry lists the files, and the task file is
 * staged so the update is part of the commit. The post-commit hook then records the commit.
 */
export async function runPreCommit(ctx: HandoffContext, agentFromEnv: string | undefined): Promise<string[]> {
  const root = ctx.store.root;
  const staged = (await git(root, ['diff', '--cached', '--name-only', '-z', '--diff-filter=ACDMR'])).split('\0').filter((f) => f !== '' && !f.startsWith(`${MCP_DIR}/`));
  if (staged.length === 0) return [];
  const branch = (await git(root, ['symbolic-ref', '--short', '-q', 'HEAD']).catch(() => '')).trim() || 'detached HEAD';
  const { tasks } = await ctx.store.list();
  const updated: string[] = [];
  for (const stored of tasks.filter((t) => ACTIVE.includes(t.state))) {
    const touched = staged.filter((f) => stored.task.filesAffected.some((e) => matchesAffected(e, f)));
    if (touched.length === 0) continue;
    const to: TaskState = stored.state === 'ready' ? 'in-progress' : stored.state;
    const agent = agentFromEnv !== undefined && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(agentFromEnv) ? agentFromEnv : stored.task.agent;
    let doc = setInline(setInline(stored.doc, 'Status', to), 'Last Updated', stamp(ctx.now()));
    if (stored.state === 'ready' && agent !== stored.task.agent) doc = setInline(doc, 'Agent', agent);
    doc = setGitField(doc, 'Branch', branch);
    const what = stored.state === 'ready' ? `commit on ${branch} started the work` : `commit on ${branch}`;
    doc = appendEntry(doc, 'Implementation Notes', { at: ctx.now(), by: agent, what, body: `Files: ${touched.join(', ')}` });
    const file = await ctx.store.save(stored, to, doc);
    await git(root, ['add', '-A', '--', ctx.store.relative(stored.path), ctx.store.relative(file)]);
    updated.push(summarize(doc).id);
  }
  if (updated.length > 0) await writeFile(await pendingFile(root), JSON.stringify({ tasks: updated, branch }));
  return updated;
}

/**
 * The post-commit hook: writes the new commit into Git Context of the tasks the pre-commit hook
 * updated. The commit did not exist while its own hook ran, so this change waits in the working
 * tree and goes into the next commit.
 */
export async function runPostCommit(ctx: HandoffContext): Promise<string[]> {
  const root = ctx.store.root;
  const file = await pendingFile(root);
  const pending = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { tasks: string[] }, () => undefined);
  if (pending === undefined) return [];
  const commit = (await git(root, ['rev-parse', 'HEAD'])).trim();
  const done: string[] = [];
  for (const id of pending.tasks) {
    const stored = await ctx.store.get(id).catch(() => undefined);
    if (stored === undefined) continue;
    await ctx.store.save(stored, stored.state, setGitField(stored.doc, 'Commit', commit));
    done.push(id);
  }
  await unlink(file).catch(() => undefined);
  return done;
}
