import { humanActor } from './approvals';
import { Option, type Command } from '@commander-js/extra-typings';
import {
  errorCodeOf,
  GetRun,
  ListWorkflows,
  RegisterWorkflow,
  StartRun,
  ValidateWorkflow,
  type WorkflowResultView,
} from '@baton/contracts';
import { collectParam, looksLikeWorkflowFile, parsePositiveInt, parsePriority } from '../args';
import type { CliContext } from '../context';
import { CliError, describeFailure, ExitCode } from '../failure';
import { formatDuration, formatRunResult, formatWorkflows, progressLines, runIsOver, table } from '../format';
import { readWorkflowFiles, validateLocally, type FileValidation, type WorkflowFile } from '../workflow-files';

/** How often `--wait` asks the scheduler where the run is. */
export const FOLLOW_POLL_MS = 250;

/** Outcome of registering one file. */
export type RegisterOutcome =
  | { readonly file: string; readonly ok: true; readonly workflowId: string; readonly version: string; readonly created: boolean }
  | { readonly file: string; readonly ok: false; readonly error: readonly string[] };

function isReachability(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code === 'UNAVAILABLE' || code === 'TIMEOUT' || (err as { name?: unknown })?.name === 'NatsUnreachableError';
}

/** Registers each file with the scheduler; a file's error is recorded and the next one goes on. */
export async function registerFiles(ctx: CliContext, files: readonly WorkflowFile[]): Promise<RegisterOutcome[]> {
  const client = await ctx.client();
  const out: RegisterOutcome[] = [];
  for (const f of files) {
    try {
      const r = await client.command(RegisterWorkflow, { yaml: f.text, file: f.path }, { commandId: ctx.newId() });
      out.push({ file: f.path, ok: true, workflowId: r.workflowId, version: r.version, created: r.created });
    } catch (err) {
      if (isReachability(err)) throw err;
      out.push({ file: f.path, ok: false, error: describeFailure(err, ctx.natsUrl).lines });
    }
  }
  return out;
}

/** Human form of `workflows register`. */
export function formatRegisterOutcomes(outcomes: readonly RegisterOutcome[]): string {
  return table(
    ['FILE', 'WORKFLOW', 'VERSION', 'RESULT'],
    outcomes.map((o) => (o.ok ? [o.file, o.workflowId, o.version, o.created ? 'registered' : 'unchanged'] : [o.file, '', '', 'failed (see below)'])),
  );
}

/** Human form of `workflows validate`: one line per good file; errors go to stderr. */
export function formatValidationOk(v: Extract<FileValidation, { ok: true }>): string {
  const stages = v.stages === null ? '' : ` (${v.stages} stage${v.stages === 1 ? '' : 's'})`;
  return `ok  ${v.file}  ${v.workflowId} v${v.version}${stages}`;
}

/**
 * Follows a run until it ends, printing each stage as it starts and finishes. NOT_FOUND right
 * after the start (the read model has not caught up) counts as "not yet".
 */
export async function followRun(ctx: CliContext, runId: string, timeoutMs: number, pollMs = FOLLOW_POLL_MS): Promise<WorkflowResultView> {
  const client = await ctx.client();
  const started = ctx.now().getTime();
  const deadline = started + timeoutMs;
  let previous: WorkflowResultView | undefined;
  for (;;) {
    let run: WorkflowResultView | undefined;
    try {
      run = await client.query(GetRun, { runId });
    } catch (err) {
      if (errorCodeOf(err) !== 'NOT_FOUND' || previous !== undefined) throw err;
    }
    const now = ctx.now().getTime();
    if (run !== undefined) {
      for (const line of progressLines(previous, run, now - started, ctx.paint)) ctx.say(line);
      previous = run;
      if (runIsOver(run)) return run;
    }
    if (now >= deadline) {
      throw new CliError(
        `run ${runId} is still ${previous?.state ?? 'not visible'} after ${formatDuration(timeoutMs)}; follow it with: baton workflows status ${runId}`,
        ExitCode.failed,
      );
    }
    await ctx.deps.sleep(pollMs);
  }
}

export function registerWorkflowCommands(program: Command, ctx: CliContext): void {
  const wf = program.command('workflows').alias('wf').description('workflow definitions and their runs');

  wf.command('list')
    .description('list registered workflows (latest version of each)')
    .action(async () => {
      await ctx.printList(ListWorkflows, {}, 'workflows', (workflows, _now, paint) => formatWorkflows(workflows, paint));
    });

  wf.command('validate')
    .description('check workflow files (files or directories); exit 1 if any has an error')
    .argument('<paths...>', 'workflow files or directories of them')
    .option('--remote', 'ask the scheduler instead of checking locally')
    .action(async (paths, opts) => {
      const files = await readWorkflowFiles(paths);
      const results: FileValidation[] = [];
      if (opts.remote === true) {
        const client = await ctx.client();
        for (const f of files) {
          const r = await client.command(ValidateWorkflow, { yaml: f.text, file: f.path }, { commandId: ctx.newId() });
          results.push(
            r.ok
              ? { file: f.path, ok: true, workflowId: r.workflowId ?? '?', version: r.version ?? '?', stages: null }
              : { file: f.path, ok: false, errors: r.errors.map((e) => e.text) },
          );
        }
      } else {
        results.push(...files.map(validateLocally));
      }
      const failed = results.filter((r) => !r.ok);
      if (ctx.json) ctx.emit({ ok: failed.length === 0, results }, () => '');
      else {
        for (const r of results) {
          if (r.ok) ctx.say(formatValidationOk(r));
          else for (const e of r.errors) ctx.warn(e);
        }
      }
      if (failed.length > 0) {
        ctx.warn(`baton: ${failed.length} of ${results.length} workflow file${results.length === 1 ? '' : 's'} invalid`);
        ctx.exitCode = ExitCode.failed;
      }
    });

  wf.command('register')
    .description('register (publish) workflow files with the scheduler; the same content again is a no-op')
    .argument('<paths...>', 'workflow files or directories of them')
    .action(async (paths) => {
      const files = await readWorkflowFiles(paths);
      const outcomes = await registerFiles(ctx, files);
      ctx.emit({ results: outcomes }, () => formatRegisterOutcomes(outcomes));
      const failed = outcomes.filter((o) => !o.ok);
      if (!ctx.json) {
        for (const o of failed) {
          if (o.ok) continue;
          const [head = '', ...rest] = o.error;
          ctx.warn(`${o.file}: ${head.replace(/^baton: /, '')}`);
          for (const l of rest) ctx.warn(l);
        }
      }
      if (failed.length > 0) ctx.exitCode = ExitCode.failed;
    });

  wf.command('execute')
    .alias('run')
    .description('start a run of a workflow (by id, or a file, which is registered first)')
    .argument('<workflow>', 'workflow id (WF-FEAT-001) or a workflow file')
    .option('-p, --param <key=value>', 'a run parameter (repeatable); JSON values are parsed (n=3, flag=true)', collectParam, {} as Record<string, unknown>)
    .addOption(new Option('--priority <P>', 'priority of the run: P0, P1 or P2').argParser(parsePriority).default('P1' as const))
    .option('--version <version>', 'run this version instead of the latest')
    .option('--run-id <id>', 'run id (idempotency key); generated when absent')
    .option('-w, --wait', 'follow the run until it ends; exit 0 on success, 1 otherwise')
    .addOption(new Option('--timeout <seconds>', 'with --wait: give up after this many seconds').argParser(parsePositiveInt).default(3600))
    .action(async (workflow, opts) => {
      const client = await ctx.client();
      let workflowId = workflow;
      let version = opts.version;
      if (looksLikeWorkflowFile(workflow, ctx.deps.fileExists)) {
        const [registered] = await registerFiles(ctx, await readWorkflowFiles([workflow]));
        if (registered === undefined) throw new CliError(`${workflow}: nothing to register`);
        if (!registered.ok) throw new CliError(`${workflow}: could not register it`, ExitCode.failed, registered.error);
        workflowId = registered.workflowId;
        version ??= registered.version;
        ctx.say(`${registered.created ? 'Registered' : 'Already registered:'} ${workflowId} v${registered.version} from ${workflow}`);
      }
      const started = await client.command(
        StartRun,
        {
          workflowId,
          params: opts.param,
          priority: opts.priority,
          version,
          runId: opts.runId,
        },
        // The person starting the run is recorded; they may not approve its stages.
        { commandId: ctx.newId(), actor: humanActor(ctx.deps.env, undefined) },
      );
      if (opts.wait !== true) {
        ctx.emit(started, () => `Started run ${started.runId} of ${started.workflowId} v${started.version}. Follow it with: baton workflows status ${started.runId}`);
        return;
      }
      ctx.say(`Started run ${started.runId} of ${started.workflowId} v${started.version}; following it (Ctrl-C stops following, not the run)`);
      const run = await followRun(ctx, started.runId, opts.timeout * 1000);
      if (ctx.json) ctx.emit(run, () => '');
      if (run.state !== 'success') ctx.exitCode = ExitCode.failed;
    });

  wf.command('status')
    .description('where a run stands: its steps and metrics (the WorkflowResult)')
    .argument('<runId>', 'run id')
    .action(async (runId) => {
      await ctx.printOne(GetRun, { runId }, formatRunResult);
    });
}
