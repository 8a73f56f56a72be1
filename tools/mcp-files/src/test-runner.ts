import { spawn } from 'node:child_process';
import { fileModeError } from './errors';
import { recordTestFailure, recordTestPass, type HandoffContext } from './handoff';
import { failingTestsIn, lastLines } from './test-output';

/** The command `baton-files test` runs when none is given. */
export const DEFAULT_TEST_COMMAND = ['npm', 'test'] as const;

export interface TestRunOptions {
  /** The task the run is for; default: the one task in progress (of `agent`, when given). */
  readonly taskId?: string | undefined;
  readonly agent?: string | undefined;
  /** argv of the test command; one element runs through `sh -c`. */
  readonly command?: readonly string[] | undefined;
  /** Where the test output goes while it runs (it is also captured). */
  readonly echo?: ((chunk: string) => void) | undefined;
}

export interface TestRunResult {
  readonly taskId: string;
  readonly exitCode: number | null;
  readonly passed: boolean;
  readonly failingTests: readonly string[];
  readonly feedbackFile: string | undefined;
  readonly state: string;
}

async function pickTask(ctx: HandoffContext, taskId: string | undefined, agent: string | undefined): Promise<string> {
  if (taskId !== undefined) return taskId;
  const { tasks } = await ctx.store.list();
  const mine = tasks.filter((t) => t.state === 'in-progress' && (agent === undefined || t.task.agent === agent));
  if (mine.length === 1) return mine[0]!.task.id;
  throw fileModeError(
    'VALIDATION_FAILED',
    'BAD_ARGUMENT',
    mine.length === 0
      ? `no task is in progress${agent ? ` for ${agent}` : ''}; name one with --task`
      : `${mine.length} tasks are in progress (${mine.map((t) => t.task.id).join(', ')}); name one with --task`,
    { inProgress: mine.map((t) => t.task.id) },
  );
}

function runCommand(argv: readonly string[], cwd: string, echo: ((chunk: string) => void) | undefined): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const proc = argv.length === 1 ? spawn('sh', ['-c', argv[0]!], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: Buffer) => {
      const text = d.toString();
      output += text;
      echo?.(text);
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.once('error', reject);
    proc.once('close', (code) => resolve({ exitCode: code, output }));
  });
}

/**
 * `test`: runs the repository's test command for a task. On failure the task gets a feedback
 * file (failing tests, command, output) and an Error Context entry, and goes back to `ready/`;
 * on success a note records the passing run. The exit code is the test command's.
 */
export async function runTestsForTask(ctx: HandoffContext, options: TestRunOptions): Promise<TestRunResult> {
  const taskId = await pickTask(ctx, options.taskId, options.agent);
  // Check the task can take the result before spending minutes on the tests.
  const before = await ctx.store.get(taskId);
  if (before.state !== 'in-progress' && before.state !== 'review') {
    throw fileModeError('ILLEGAL_TRANSITION', 'WRONG_STATE', `task ${taskId} is in ${before.state}/; tests are recorded for a task in in-progress/ or review/`, { id: taskId, state: before.state });
  }
  const argv = options.command !== undefined && options.command.length > 0 ? options.command : DEFAULT_TEST_COMMAND;
  const shown = argv.join(' ');
  const { exitCode, output } = await runCommand(argv, ctx.store.root, options.echo);
  if (exitCode === 0) {
    const r = await recordTestPass(ctx, taskId, shown);
    return { taskId, exitCode, passed: true, failingTests: [], feedbackFile: undefined, state: r.task.status };
  }
  const failingTests = failingTestsIn(output);
  const r = await recordTestFailure(ctx, taskId, { command: shown, exitCode, failingTests, output: lastLines(output) });
  return { taskId, exitCode, passed: false, failingTests, feedbackFile: r.feedbackFile, state: r.task.status };
}
