import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from '@commander-js/extra-typings';
import { writeAgentsGuide } from './agents-guide';
import { fileModeError } from './errors';
import { git, installHooks, runPostCommit, runPreCommit } from './git-hooks';
import {
  claimTask,
  completeTask,
  createTask,
  failTask,
  giveFeedback,
  nextTask,
  prepTask,
  reopenTask,
  requestReview,
  statusReport,
  type HandoffContext,
  type NextMode,
  type StatusReport,
} from './handoff';
import { TASK_STATES, type TaskSummary } from './task-file';
import { TaskStore } from './task-store';
import { runTestsForTask } from './test-runner';

/** What the file-mode commands touch outside themselves: output, where they run, env and clock. */
export interface FileModeIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  now(): Date;
  /** Whether `--json` was given: one JSON document instead of text. */
  json(): boolean;
  /** The exit code to end with when the command returns normally (a failing test run). */
  setExitCode(code: number): void;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--agent`/`--by`/`--from` when given, else $BATON_AGENT. */
function agentOf(io: FileModeIo, given: string | undefined): string | undefined {
  return given ?? (io.env['BATON_AGENT']?.trim() || undefined);
}

async function context(io: FileModeIo): Promise<HandoffContext> {
  return { store: await TaskStore.open(io.cwd), now: () => io.now() };
}

function emit(io: FileModeIo, data: unknown, human: () => string): void {
  io.stdout(io.json() ? JSON.stringify(data, null, 2) : human());
}

function oneLine(t: TaskSummary): string {
  return `${t.id.padEnd(10)} ${t.priority}  ${t.agent.padEnd(12)} ${t.title}`;
}

function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  for (const state of TASK_STATES) {
    const tasks = report.tasks.filter((t) => t.status === state);
    lines.push(`${state} (${report.counts[state]})`);
    for (const t of tasks) lines.push(`  ${oneLine(t)}${t.waitingFor.length > 0 ? `  [waiting for ${t.waitingFor.join(', ')}]` : ''}`);
  }
  for (const u of report.unreadable) lines.push(`unreadable: ${u.path}: ${u.problem.split('\n').join('; ')}`);
  return lines.join('\n');
}

/**
 * The commands that move one task on: what each does, who its `--by` names, the note (`--notes`)
 * or required reason (`--reason`) that goes into the task file with the move, and what it says after.
 */
const MOVES = {
  review: { help: 'hand an in-progress task to review (review/)', by: 'who hands it over (default: the task agent)', notes: 'what changed and what to look at', moved: 'is in review' },
  complete: { help: 'accept a task in review (done/)', by: 'the reviewer', notes: 'a closing note (added to Review Feedback)', moved: 'is done' },
  fail: { help: 'give up on a task (failed/) with the reason in Error Context, for a person to pick up', by: 'who gives up', reason: 'why', moved: 'failed' },
  reopen: { help: 'put a failed or done task back in ready/', by: 'who reopens it', reason: 'why', moved: 'is ready again' },
} as const;

type Move = keyof typeof MOVES;

/** The handoff behind each of {@link MOVES}; `text` is its note or reason. */
const MOVE_HANDOFFS: Record<Move, (ctx: HandoffContext, id: string, by: string | undefined, text: string | undefined) => Promise<{ task: TaskSummary; path: string }>> = {
  review: (ctx, id, by, notes) => requestReview(ctx, id, { by, notes }),
  complete: (ctx, id, by, notes) => completeTask(ctx, id, { by, notes }),
  fail: (ctx, id, by, reason) => failTask(ctx, id, { by, reason: reason ?? '' }),
  reopen: (ctx, id, by, reason) => reopenTask(ctx, id, { by, reason: reason ?? '' }),
};

/** Adds the move command `name`: `<id>`, `--by`, its `--notes` or `--reason`; it prints where the task went. */
function addMoveCommand(parent: Command, io: FileModeIo, name: Move): void {
  const spec = MOVES[name];
  const text = 'reason' in spec ? new Option('--reason <text>', spec.reason).makeOptionMandatory() : new Option('--notes <text>', spec.notes);
  parent
    .command(name)
    .description(spec.help)
    .argument('<id>', 'task id')
    .option('--by <agent>', `${spec.by} (default: $BATON_AGENT)`)
    .addOption(text)
    .action(async (id, opts, command) => {
      const value: unknown = command.getOptionValue(text.attributeName());
      const r = await MOVE_HANDOFFS[name](await context(io), id, agentOf(io, opts.by), typeof value === 'string' ? value : undefined);
      emit(io, { task: r.task, path: r.path }, () => `${id} ${spec.moved}: ${r.path}`);
    });
}

/**
 * Adds the file-mode commands (init, create, prep, claim, review, feedback, complete, fail,
 * reopen, status, next, show, test, hooks, hook) to `parent`: the `baton-files` program, or
 * `baton files` in the Baton CLI.
 */
export function addFileModeCommands(parent: Command, io: FileModeIo): void {
  parent
    .command('init')
    .description('create .mcp/tasks/{pending,ready,in-progress,review,done,failed} and the agents guide (AGENTS.md)')
    .option('--dir <path>', 'repository root (default: the git top level, else the current directory)')
    .action(async (opts) => {
      const root = opts.dir !== undefined ? path.resolve(io.cwd, opts.dir) : ((await git(io.cwd, ['rev-parse', '--show-toplevel']).catch(() => '')).trim() || io.cwd);
      const store = await TaskStore.init(root);
      const guides = await writeAgentsGuide(root);
      emit(io, { root, tasks: store.tasksDir, guides }, () => `task directories ready in ${store.relative(store.tasksDir)}/; agents guide written to ${guides.map((g) => store.relative(g)).join(' and ')}`);
    });

  parent
    .command('create')
    .description('create a task stub in pending/ and print its id')
    .argument('<title...>', 'what the task is about')
    .option('--priority <P>', 'P0, P1 or P2', 'P1')
    .option('--goal <text>', 'the goal, if known now')
    .option('--id <id>', 'the task id (default: the next TASK-nnn)')
    .option('--depends-on <id>', 'a task that must be done first (repeatable)', collect)
    .option('--files <path>', 'a file the task changes (repeatable)', collect)
    .action(async (title, opts) => {
      const r = await createTask(await context(io), { title: title.join(' '), priority: opts.priority, goal: opts.goal, id: opts.id, dependsOn: opts.dependsOn, files: opts.files });
      emit(io, { id: r.task.id, path: r.path, task: r.task }, () => r.task.id);
    });

  parent
    .command('prep')
    .description('flesh out a stub (goal, acceptance criteria, DoR, DoD, files) and move it to ready/')
    .argument('<id>', 'task id')
    .option('--by <agent>', 'who prepared it (default: $BATON_AGENT)')
    .option('--goal <text>', 'the goal')
    .option('--criteria <text>', 'an acceptance criterion (repeatable)', collect)
    .option('--dor <text>', 'a Definition of Ready item (repeatable)', collect)
    .option('--dod <text>', 'a Definition of Done item (repeatable)', collect)
    .option('--files <path>', 'a file the task changes (repeatable)', collect)
    .option('--depends-on <id>', 'a task that must be done first (repeatable)', collect)
    .option('--priority <P>', 'P0, P1 or P2')
    .option('--notes <text>', 'implementation guidance')
    .action(async (id, opts) => {
      const r = await prepTask(await context(io), id, { ...opts, by: agentOf(io, opts.by), ready: opts.dor, done: opts.dod });
      emit(io, { task: r.task, path: r.path }, () => `${id} is ready (${r.path})`);
    });

  parent
    .command('claim')
    .description('take a ready task (your next one when no id is given) and move it to in-progress/')
    .argument('[id]', 'task id')
    .option('--agent <agent>', 'who claims it (default: $BATON_AGENT)')
    .option('--notes <text>', 'a note on how you will go about it')
    .action(async (id, opts) => {
      const agent = agentOf(io, opts.agent);
      if (agent === undefined) throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', 'name the agent with --agent (or set BATON_AGENT)');
      const r = await claimTask(await context(io), id, agent, opts.notes);
      emit(io, { task: r.task, path: r.path }, () => `${r.task.id} claimed by ${agent}: ${r.path}`);
    });

  addMoveCommand(parent, io, 'review');

  parent
    .command('feedback')
    .description('review feedback: recorded in the task and a feedback file; a task in review/ goes back to ready/')
    .argument('<id>', 'task id')
    .option('--from <agent>', 'the reviewer (default: $BATON_AGENT)')
    .option('--message <text>', 'the feedback')
    .option('--file <path>', 'read the feedback from a file')
    .action(async (id, opts) => {
      const message = opts.file !== undefined ? await readFile(path.resolve(io.cwd, opts.file), 'utf8') : opts.message;
      const r = await giveFeedback(await context(io), id, { from: agentOf(io, opts.from) ?? '', message: message ?? '' });
      emit(io, { task: r.task, path: r.path, feedbackFile: r.feedbackFile }, () => `${id} sent back to ${r.task.status}/ with feedback (${r.feedbackFile})`);
    });

  addMoveCommand(parent, io, 'complete');
  addMoveCommand(parent, io, 'fail');
  addMoveCommand(parent, io, 'reopen');

  parent
    .command('status')
    .description('every task by state (pending, ready, in-progress, review, done, failed)')
    .action(async () => {
      const report = await statusReport(await context(io));
      emit(io, report, () => formatStatus(report));
    });

  parent
    .command('next')
    .description('what an agent should work on now: P0 first, dependencies respected')
    .option('--agent <agent>', 'the agent asking (default: $BATON_AGENT)')
    .addOption(new Option('--for <kind>', 'implement (ready/), prep (pending/) or review (review/)').choices(['implement', 'prep', 'review'] as const).default('implement' as const))
    .action(async (opts) => {
      const agent = agentOf(io, opts.agent);
      if (agent === undefined) throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', 'name the agent with --agent (or set BATON_AGENT)');
      const ctx = await context(io);
      const next = await nextTask(ctx, agent, opts.for as NextMode);
      emit(io, { task: next === undefined ? null : { ...next.task, path: ctx.store.relative(next.path) } }, () =>
        next === undefined ? `nothing to ${opts.for} for ${agent} now` : `${oneLine(next.task)}\n${ctx.store.relative(next.path)}`,
      );
    });

  parent
    .command('show')
    .description('print a task file')
    .argument('<id>', 'task id')
    .action(async (id) => {
      const ctx = await context(io);
      const t = await ctx.store.get(id);
      emit(io, { task: t.task, path: ctx.store.relative(t.path), text: t.text }, () => `${ctx.store.relative(t.path)}\n\n${t.text.replace(/\s+$/, '')}`);
    });

  parent
    .command('test')
    .description("run the repository's tests for a task; a failure writes a feedback file and sends the task back to ready/")
    .option('--task <id>', 'task id (default: the one task in progress)')
    .option('--agent <agent>', 'pick the task in progress of this agent (default: $BATON_AGENT)')
    .argument('[command...]', 'the test command (default: npm test); put it after --')
    .action(async (command, opts) => {
      const ctx = await context(io);
      const r = await runTestsForTask(ctx, { taskId: opts.task, agent: agentOf(io, opts.agent), command, echo: io.json() ? undefined : (c) => io.stderr(c.replace(/\n$/, '')) });
      emit(io, r, () =>
        r.passed ? `${r.taskId}: tests passed` : `${r.taskId}: tests failed (exit ${r.exitCode}); feedback in ${r.feedbackFile}; the task is back in ${r.state}/`,
      );
      if (!r.passed) io.setExitCode(typeof r.exitCode === 'number' && r.exitCode > 0 ? r.exitCode : 1);
    });

  const hooks = parent.command('hooks').description('git hooks that keep tasks in step with commits');
  hooks
    .command('install')
    .description('install the pre-commit and post-commit hooks in this repository')
    .action(async () => {
      const ctx = await context(io);
      const files = await installHooks(ctx.store.root);
      emit(io, { hooks: files }, () => `installed ${files.map((f) => path.relative(ctx.store.root, f)).join(', ')}`);
    });

  parent
    .command('hook')
    .description('run by the installed git hooks')
    .argument('<name>', 'pre-commit or post-commit')
    .action(async (name) => {
      const ctx = await context(io);
      if (name === 'pre-commit') {
        const updated = await runPreCommit(ctx, io.env['BATON_AGENT']?.trim() || undefined);
        if (updated.length > 0) io.stderr(`baton-files: updated ${updated.join(', ')}`);
      } else if (name === 'post-commit') {
        await runPostCommit(ctx);
      } else {
        throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', `unknown hook "${name}" (pre-commit or post-commit)`, { name });
      }
    });
}
