import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** A fixture running in its own Node process, its stdout parsed as one JSON object per line. */
export interface JsonLinesProcess<T> {
  readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  /** Every stdout line so far, parsed (a line that is not JSON fails the test where it arrives). */
  readonly lines: T[];
  /** What it wrote to stderr so far (for error messages). */
  stderr(): string;
  /** Its exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `fixture` (a TypeScript file, run through SWC from the repository root) with `nodeArgs`
 * before it and `env` over this process's environment, and collects its JSON lines.
 *
 * @example
 * const child = startJsonLinesProcess<{ msg: string }>(path.join(__dirname, 'testing', 'fixture.ts'), { env: { PORT: '0' } });
 * await waitFor(() => child.lines.find((l) => l.msg === 'listening'), { what: `listening (stderr: ${child.stderr()})` });
 */
export function startJsonLinesProcess<T>(fixture: string, options: { readonly nodeArgs?: readonly string[]; readonly env?: Record<string, string> } = {}): JsonLinesProcess<T> {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), '-r', '@swc-node/register', fixture], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: T[] = [];
  let stderr = '';
  let partial = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts.filter((l) => l.trim() !== '')) lines.push(JSON.parse(line) as T);
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, lines, stderr: () => stderr, exited };
}
