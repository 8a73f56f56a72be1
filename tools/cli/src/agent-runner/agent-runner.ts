import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { handoff, isRetryableCode, TaskFailure, upstreamArtifacts, type AgentTask, type BatonAgent, type TaskContext, type TaskHandler } from '@baton/agent-sdk';
import { errorCodeOf, GetArtifact } from '@baton/contracts';
import { collectOutputs } from './outputs';
import { fillPlaceholders, placeholderEnv, type PlaceholderValues } from './placeholders';
import { GroupCommand, type CommandExit } from './process-group';
import { artifactFileName, renderTaskMd, type BriefContext, type UpstreamFile } from './task-brief';

export interface AgentRunnerOptions {
  readonly agentId: string;
  /** The agent's command line, `{placeholders}` unfilled; the first element is the program. */
  readonly command: readonly string[];
  /** Files the command must write (relative to the working directory), handed over as artifacts. */
  readonly outputs: readonly string[];
  /**
   * A JSON file the command may write (relative to the working directory): `{outputs, context}`,
   * reported values merged into the completion's outputs (what quality gates read) and the
   * handoff's context (what handoff specs ask for). Removed before each run.
   */
  readonly resultFile?: string;
  /** The working directory of every task; default a fresh one per task under the system temp directory. */
  readonly workdir?: string;
  /** How often progress (elapsed time, last stdout line) is reported while the command runs. Default 5000 ms. */
  readonly progressIntervalMs?: number;
  /** How long the process group gets after SIGTERM before SIGKILL. Default 5000 ms. */
  readonly killGraceMs?: number;
  /** The command's environment, before the `BATON_*` variables are added. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Writes task.md; default {@link renderTaskMd} (the engine's assignment). The file mode passes the task file's brief. */
  readonly renderBrief?: (task: AgentTask, ctx: BriefContext) => string;
  /** Told what the runner does with each command, for the CLI's output. */
  readonly onEvent?: (event: RunnerEvent) => void;
}

/** What the runner reports about the command it runs for a task (the SDK reports the task itself). */
export type RunnerEvent =
  | { readonly type: 'command.started'; readonly taskId: string; readonly pgid: number; readonly workdir: string; readonly taskMd: string }
  | { readonly type: 'command.exited'; readonly taskId: string; readonly code: number | null; readonly signal: string | null; readonly durationMs: number }
  | { readonly type: 'command.killed'; readonly taskId: string; readonly pgid: number; readonly reason: string };

const TASK_DIR = '.baton-task';
const MAX_PROGRESS_MESSAGE = 2000;
const STDERR_TAIL_CHARS = 2000;

const CommandResult = z.strictObject({
  outputs: z.record(z.string(), z.unknown()).default({}),
  context: z.record(z.string(), z.unknown()).optional(),
});

/** The command's result file: nothing when it wrote none; RESULT_INVALID when it is not `{outputs?, context?}` JSON. */
async function readResult(file: string, declared: string): Promise<z.infer<typeof CommandResult>> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return { outputs: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TaskFailure(`${declared} is not JSON: ${(err as Error).message}`, { code: 'RESULT_INVALID' });
  }
  const parsed = CommandResult.safeParse(json);
  if (!parsed.success) throw new TaskFailure(`${declared} is not {"outputs": {…}, "context": {…}}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, { code: 'RESULT_INVALID' });
  return parsed.data;
}

/** Whether a refused report means the task is no longer this agent's to work (lost, cancelled, finished). */
function taskGone(ctx: TaskContext, err: unknown): boolean {
  return ctx.signal.aborted || !isRetryableCode(errorCodeOf(err) ?? 'INTERNAL');
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/** The end of what the command wrote to stderr, cut at a line start when it can be. */
function tailOf(text: string): string {
  const tail = text.slice(-STDERR_TAIL_CHARS);
  const cut = tail.length === text.length ? tail : tail.slice(tail.indexOf('\n') + 1);
  return cut.trimEnd();
}

/**
 * The task handler that turns a command-line program (Claude Code, Cursor's agent, Codex …) into
 * a Baton agent: for each task it writes the brief and the upstream artifacts to disk, runs the
 * command in a process group of its own with the placeholders filled, reports progress while it
 * runs, and hands over the declared outputs on exit 0 or fails the task with the exit code and
 * the end of stderr. When the task is taken away (cancelled, reassigned, lease lost: a progress
 * report is refused, or the SDK aborts `ctx.signal`), the whole group is killed.
 *
 * @example
 * const agent = await BatonAgent.connect({ agentId: 'coder-1', servers });
 * await agent.register({ role: 'coder', capabilities: ['code'] });
 * await agent.start(commandRunner(agent, { agentId: 'coder-1', command: ['sh', '{workdir}/agent.sh', '{task_md}'], outputs: ['result.md'] }));
 */
export function commandRunner(agent: Pick<BatonAgent, 'query'>, options: AgentRunnerOptions): TaskHandler {
  const emit = (e: RunnerEvent): void => options.onEvent?.(e);
  const progressEvery = options.progressIntervalMs ?? 5000;
  const killGraceMs = options.killGraceMs ?? 5000;

  async function fetchUpstream(task: AgentTask, contextDir: string): Promise<UpstreamFile[]> {
    const files: UpstreamFile[] = [];
    for (const artifact of upstreamArtifacts(task.inputs)) {
      const relative = path.posix.join('upstream', artifactFileName(artifact.stageId), artifactFileName(artifact.name));
      try {
        const got = await agent.query(GetArtifact, { hash: artifact.hash });
        const file = path.join(contextDir, relative);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, got.encoding === 'base64' ? Buffer.from(got.content, 'base64') : got.content);
        files.push({ ...artifact, path: relative });
      } catch (err) {
        // The brief says what is missing; the agent may not need it, and it can still fail the task itself.
        files.push({ ...artifact, error: (err as Error).message });
      }
    }
    return files;
  }

  async function prepare(task: AgentTask): Promise<{ workdir: string; contextDir: string; values: PlaceholderValues }> {
    const workdir = path.resolve(options.workdir ?? path.join(os.tmpdir(), `baton-agent-${options.agentId}`, `${task.taskId}-e${task.leaseEpoch}`));
    const contextDir = path.join(workdir, TASK_DIR, task.taskId);
    await mkdir(contextDir, { recursive: true });
    const upstream = await fetchUpstream(task, contextDir);
    const taskMd = path.join(contextDir, 'task.md');
    const taskJson = path.join(contextDir, 'task.json');
    await writeFile(taskMd, (options.renderBrief ?? renderTaskMd)(task, { agentId: options.agentId, outputs: options.outputs, upstream, contextDir, ...(options.resultFile === undefined ? {} : { resultFile: options.resultFile }) }));
    // A result left by an earlier round (rework) must not be handed over again.
    if (options.resultFile !== undefined) await rm(path.resolve(workdir, options.resultFile), { force: true });
    await writeFile(taskJson, `${JSON.stringify(task, null, 2)}\n`);
    const values: PlaceholderValues = {
      workdir,
      task_dir: contextDir,
      task_md: taskMd,
      task_json: taskJson,
      task_id: task.taskId,
      action: task.action,
      agent_id: options.agentId,
      attempt: String(task.attempt),
      run_id: task.runId ?? '',
      stage_id: task.stageId ?? '',
    };
    return { workdir, contextDir, values };
  }

  return async (task, ctx) => {
    const { workdir, contextDir, values } = await prepare(task);
    const [program, ...args] = fillPlaceholders(options.command, values);
    let lastLine = '';
    let cmd: GroupCommand;
    try {
      cmd = await GroupCommand.start(program!, args, {
        cwd: workdir,
        env: { ...(options.env ?? process.env), ...placeholderEnv(values) },
        stdoutLog: path.join(contextDir, 'stdout.log'),
        stderrLog: path.join(contextDir, 'stderr.log'),
        onStdoutLine: (line) => (lastLine = line),
      });
    } catch (err) {
      throw new TaskFailure(`cannot start ${program}: ${(err as Error).message}`, { code: 'COMMAND_NOT_STARTED' });
    }
    const started = Date.now();
    emit({ type: 'command.started', taskId: task.taskId, pgid: cmd.pgid, workdir, taskMd: values.task_md });

    // Progress doubles as the probe of whether the task is still ours: a cancelled or reassigned
    // task answers it with a refusal, and the SDK aborts ctx.signal when the lease is lost.
    let gone: unknown;
    const stop = new AbortController();
    const lost = new Promise<'lost'>((resolve) => {
      const end = (reason: unknown): void => {
        gone ??= reason;
        resolve('lost');
      };
      if (ctx.signal.aborted) end(ctx.signal.reason);
      ctx.signal.addEventListener('abort', () => end(ctx.signal.reason), { once: true });
      void (async () => {
        let message = `started ${path.basename(program!)} in ${workdir}`;
        while (!stop.signal.aborted) {
          try {
            await ctx.progress(0, message.slice(0, MAX_PROGRESS_MESSAGE));
          } catch (err) {
            if (taskGone(ctx, err)) return end(err);
            // Not delivered (no scheduler for a moment): the next report tries again.
          }
          await delay(progressEvery, undefined, { signal: stop.signal }).catch(() => undefined);
          message = `running for ${seconds(Date.now() - started)}${lastLine === '' ? '' : `: ${lastLine}`}`;
        }
      })();
    });

    try {
      const outcome = await Promise.race([cmd.exited, lost]);
      if (outcome === 'lost') {
        emit({ type: 'command.killed', taskId: task.taskId, pgid: cmd.pgid, reason: (gone as Error)?.message ?? String(gone) });
        await cmd.killGroup(killGraceMs);
        throw gone;
      }
      const exit: CommandExit = outcome;
      emit({ type: 'command.exited', taskId: task.taskId, code: exit.code, signal: exit.signal, durationMs: Date.now() - started });
      // What the command started and left running belongs to the task, and ends with it.
      if (cmd.groupAlive) await cmd.killGroup(killGraceMs);
      if (exit.code !== 0) {
        const how = exit.code === null ? `was killed by ${exit.signal ?? 'a signal'}` : `exited with code ${exit.code}`;
        const tail = tailOf(cmd.stderrTail);
        throw new TaskFailure(`${path.basename(program!)} ${how}${tail === '' ? ' (nothing on stderr)' : `; end of stderr:\n${tail}`}`, {
          code: exit.code === null ? `SIGNAL_${exit.signal ?? 'UNKNOWN'}` : `EXIT_${exit.code}`,
        });
      }
      const { artifacts, problems } = await collectOutputs(workdir, options.outputs);
      if (problems.length > 0) throw new TaskFailure(`the command exited with 0, but its outputs are not right: ${problems.join('; ')}`, { code: 'OUTPUTS_MISSING' });
      const result = options.resultFile === undefined ? { outputs: {} } : await readResult(path.resolve(workdir, options.resultFile), options.resultFile);
      const outputs = { ...result.outputs, exitCode: 0, durationMs: Date.now() - started };
      return artifacts.length > 0 || result.context !== undefined ? handoff({ artifacts, outputs, ...(result.context === undefined ? {} : { context: result.context }) }) : outputs;
    } finally {
      stop.abort();
      await cmd.close();
    }
  };
}
