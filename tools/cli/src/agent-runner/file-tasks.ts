import path from 'node:path';
import { type AgentTask, type TaskContext, type TaskHandler } from '@baton/agent-sdk';
import { claimTask, failTask, nextTask, requestReview, TaskStore, type HandoffContext, type TaskSummary } from '@baton/mcp-files';
import { commandRunner, type AgentRunnerOptions } from './agent-runner';
import { outputName } from './outputs';
import { deliverSection, type BriefContext } from './task-brief';

/** What `baton agent run --files <repo>` needs besides the command runner's own options. */
export interface FileTaskRunOptions extends Omit<AgentRunnerOptions, 'renderBrief' | 'progressIntervalMs'> {
  /** The repository (or a directory inside it) holding `.mcp/tasks`. */
  readonly repo: string;
  /** Take one task and stop. */
  readonly once?: boolean;
  readonly now?: () => Date;
}

/** One task the runner worked in file mode, and where it ended. */
export interface FileTaskOutcome {
  readonly taskId: string;
  readonly state: 'review' | 'failed';
  readonly path: string;
  readonly detail: string;
}

function items(list: TaskSummary['acceptanceCriteria']): string[] {
  return list.map((i) => (i.checked === undefined ? `- ${i.text}` : `- [${i.checked ? 'x' : ' '}] ${i.text}`));
}

function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : [`## ${title}`, '', ...lines, ''];
}

function text(body: string): string[] {
  return body.trim() === '' ? [] : [body.trim()];
}

/**
 * task.md for a task file: what the file says (goal, acceptance criteria, Definitions of Ready
 * and Done, files affected, earlier notes, review feedback and errors, so a second attempt sees
 * why the first came back), then what to deliver, as for an engine task. There are no upstream
 * artifacts in file mode.
 */
export function renderFileTaskMd(task: TaskSummary, file: string, ctx: Pick<BriefContext, 'agentId' | 'outputs' | 'resultFile'>): string {
  return [
    `# Task ${task.id}: ${task.title}`,
    '',
    `Agent ${ctx.agentId} · priority ${task.priority} · task file ${file}`,
    '',
    ...section('Goal', text(task.goal)),
    ...section('Acceptance Criteria', items(task.acceptanceCriteria)),
    ...section('Definition of Ready', items(task.definitionOfReady)),
    ...section('Definition of Done', items(task.definitionOfDone)),
    ...section('Files Affected', task.filesAffected.map((f) => `- ${f}`)),
    ...section('Dependencies', task.dependencies.map((d) => `- ${d} (done)`)),
    ...section('Implementation Notes', text(task.implementationNotes)),
    ...section('Review Feedback', text(task.reviewFeedback)),
    ...section('Error Context', text(task.errorContext)),
    ...deliverSection(ctx),
    '',
  ].join('\n');
}

/** Earlier runs of this task: each failure or test failure left one Error Context entry. */
function attemptOf(task: TaskSummary): number {
  return (task.errorContext.match(/^### /gm) ?? []).length + 1;
}

/**
 * The file-mode source of `baton agent run`: takes the agent's next task from `.mcp/tasks/ready/`
 * (P0 first, see `nextTask`), claims it, and runs the same command runner as for engine tasks
 * (same working-directory context, placeholders, process group and stderr tail). Exit 0 with
 * the declared outputs sends the task to `review/` with the outputs' paths in Implementation
 * Notes; anything else moves it to `failed/` with the reason in Error Context (the file mode's
 * `fail`: a person reopens it; putting it back in `ready/` would hand the same failure to the
 * same agent forever). Repeats until nothing is left for the agent, or after one task with `once`.
 *
 * @example
 * await runFileTasks({ repo: '/work/app', agentId: 'coder-1', command: ['sh', 'agent.sh', '{task_md}'], outputs: ['src/x.ts'] });
 */
export async function runFileTasks(options: FileTaskRunOptions, signal?: AbortSignal): Promise<FileTaskOutcome[]> {
  const store = await TaskStore.open(options.repo);
  const ctx: HandoffContext = { store, now: options.now ?? (() => new Date()) };
  const workdir = path.resolve(options.workdir ?? store.root);
  const outcomes: FileTaskOutcome[] = [];
  // Upstream artifacts are the engine's; a task file has none, so the engine query is never made.
  const noEngine = {
    query: () => Promise.reject(new Error('file mode has no engine to fetch artifacts from')),
  } as unknown as Parameters<typeof commandRunner>[0];

  while (!signal?.aborted) {
    const next = await nextTask(ctx, options.agentId, 'implement');
    if (next === undefined) break;
    const claimed = await claimTask(ctx, next.task.id, options.agentId);
    const taskFile = store.relative(claimed.path);
    const assignment: AgentTask = {
      kind: 'task.assigned',
      taskId: claimed.task.id,
      runId: null,
      stageId: null,
      action: 'implement',
      inputs: {},
      priority: claimed.task.priority,
      leaseEpoch: 1,
      attempt: attemptOf(claimed.task),
      assignedAt: ctx.now().toISOString(),
    };
    const handler: TaskHandler = commandRunner(noEngine, {
      ...options,
      workdir,
      renderBrief: (_task, brief) => renderFileTaskMd(claimed.task, taskFile, brief),
      // Nobody watches progress in file mode; the first report is the only one made.
      progressIntervalMs: 2 ** 31 - 1,
    });
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const taskCtx: TaskContext = {
      agentId: options.agentId,
      taskId: claimed.task.id,
      leaseEpoch: 1,
      attempt: assignment.attempt,
      signal: abort.signal,
      progress: () => Promise.resolve(),
      blocked: () => Promise.resolve(),
      unblocked: () => Promise.resolve(),
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    try {
      await handler(assignment, taskCtx);
      const written = options.outputs.map((o) => `- ${outputName(o)}`);
      const notes = [`\`${options.command.join(' ')}\` exited with 0 in ${workdir}.`, ...(written.length > 0 ? ['Outputs written:', ...written] : [])].join('\n');
      const reviewed = await requestReview(ctx, claimed.task.id, { by: options.agentId, notes });
      outcomes.push({ taskId: claimed.task.id, state: 'review', path: reviewed.path, detail: notes });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const reason = `${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message ?? String(err)}`;
      const failed = await failTask(ctx, claimed.task.id, { by: options.agentId, reason });
      outcomes.push({ taskId: claimed.task.id, state: 'failed', path: failed.path, detail: reason });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (options.once) break;
  }
  return outcomes;
}
