import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TaskStore } from '../task-store';
import type { HandoffContext } from '../handoff';

/** A throw-away git repository with the task directories, and a clock that moves a minute per call. */
export interface TempRepo {
  readonly root: string;
  readonly ctx: HandoffContext;
  git(...args: string[]): string;
  write(file: string, text: string): Promise<void>;
  remove(): Promise<void>;
}

export async function tempRepo(options: { git?: boolean } = {}): Promise<TempRepo> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'baton-files-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' } });
  if (options.git !== false) {
    git('init', '-q', '-b', 'main');
    git('config', 'commit.gpgsign', 'false');
  }
  const store = await TaskStore.init(root);
  let t = Date.parse('2026-12-06T07:00:00Z');
  const ctx: HandoffContext = { store, now: () => new Date((t += 60_000)) };
  return {
    root,
    ctx,
    git,
    async write(file, text) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
