import { spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** How long output still in the pipes may take to arrive after the command exited. */
const PIPE_DRAIN_MS = 500;

/** How a command ended: its exit code, or the signal that ended it. */
export interface CommandExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface GroupCommandOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the whole stdout and stderr go (files in the task's context directory). */
  readonly stdoutLog: string;
  readonly stderrLog: string;
  /** Called with each complete stdout line. */
  readonly onStdoutLine?: (line: string) => void;
  /** Called with each complete stderr line. */
  readonly onStderrLine?: (line: string) => void;
  /** Bytes of stderr kept for the failure report. Default 4000. */
  readonly stderrTailBytes?: number;
}

/** Keeps the last `max` characters written, and splits what it gets into lines. */
class Tail {
  private text = '';
  private partial = '';

  constructor(
    private readonly max: number,
    private readonly onLine?: (line: string) => void,
  ) {}

  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.max);
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    // A carriage return redraws a line (progress bars): keep what was drawn last.
    for (const p of parts) this.emit(p);
  }

  private emit(raw: string): void {
    const line = raw.split('\r').filter((s) => s.trim() !== '').pop()?.trimEnd() ?? '';
    if (line !== '') this.onLine?.(line);
  }

  flush(): void {
    if (this.partial !== '') this.emit(this.partial);
    this.partial = '';
  }

  get value(): string {
    return this.text;
  }
}

/**
 * The live processes of a group. On Linux, read from /proc, leaving out zombies: a member whose
 * parent died is re-parented to PID 1, and a PID 1 that does not reap (some containers) would
 * keep a dead group "alive" for `kill -0` forever. Elsewhere, `kill -0 -<pgid>`.
 */
export function liveGroupMembers(pgid: number): number[] {
  if (process.platform === 'linux') {
    const members: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    }
    return members;
  }
  try {
    process.kill(-pgid, 0);
    return [pgid];
  } catch (err) {
    // EPERM: a member we may not signal still exists.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? [pgid] : [];
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

/**
 * A command run in a process group of its own (`setsid`), so it and everything it starts can be
 * ended together: a coding agent starts shells, language servers and test runners, and a
 * cancelled task must leave none of them behind.
 *
 * @example
 * const cmd = GroupCommand.start('sh', ['-c', 'make test'], { cwd, env, stdoutLog, stderrLog });
 * const exit = await cmd.exited;           // or: await cmd.killGroup(5000)
 */
export class GroupCommand {
  /** Resolves when the command's own process exits (members it left behind may still run). */
  readonly exited: Promise<CommandExit>;
  private readonly stderr: Tail;
  private readonly logs: WriteStream[];

  private constructor(
    /** The process group id: the command's pid, as it leads its own group. */
    readonly pgid: number,
    exited: Promise<CommandExit>,
    stderr: Tail,
    logs: WriteStream[],
  ) {
    this.exited = exited;
    this.stderr = stderr;
    this.logs = logs;
  }

  /** Starts `command args…` (no shell) in a new process group. Rejects when it cannot start (not found, not executable). */
  static async start(command: string, args: readonly string[], options: GroupCommandOptions): Promise<GroupCommand> {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    const stdoutLog = createWriteStream(options.stdoutLog);
    const stderrLog = createWriteStream(options.stderrLog);
    const stdout = new Tail(4000, options.onStdoutLine);
    const stderr = new Tail(options.stderrTailBytes ?? 4000, options.onStderrLine);
    // A process the command left behind may still write after the logs are closed.
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (!stdoutLog.writableEnded) stdoutLog.write(d);
      stdout.push(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (!stderrLog.writableEnded) stderrLog.write(d);
      stderr.push(d);
    });
    // 'close' (the pipes drained) makes the tails complete, but a process the command left
    // running holds the pipes open: after the exit, wait for it only a moment.
    const exited = new Promise<CommandExit>((resolve) =>
      child.once('exit', (code, signal) => {
        const done = (): void => {
          stdout.flush();
          stderr.flush();
          resolve({ code, signal });
        };
        const timer = setTimeout(done, PIPE_DRAIN_MS);
        child.once('close', () => {
          clearTimeout(timer);
          done();
        });
      }),
    );
    return new GroupCommand(child.pid!, exited, stderr, [stdoutLog, stderrLog]);
  }

  /** The last bytes the command wrote to stderr. */
  get stderrTail(): string {
    return this.stderr.value;
  }

  /** Whether any process of the group is still there. */
  get groupAlive(): boolean {
    return liveGroupMembers(this.pgid).length > 0;
  }

  /**
   * Ends the whole group: SIGTERM, then SIGKILL to what is left after `graceMs`; resolves once no
   * process of the group remains.
   */
  async killGroup(graceMs: number): Promise<void> {
    signalGroup(this.pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (this.groupAlive && Date.now() < deadline) await delay(50);
    // SIGKILL cannot be caught; what survives it for long is stuck in the kernel (D state), and waiting longer will not help.
    const killDeadline = Date.now() + 10_000;
    while (this.groupAlive && Date.now() < killDeadline) {
      signalGroup(this.pgid, 'SIGKILL');
      await delay(50);
    }
    await this.exited;
  }

  /** Closes the log files. */
  async close(): Promise<void> {
    await Promise.all(this.logs.map(closeStream));
  }
}
