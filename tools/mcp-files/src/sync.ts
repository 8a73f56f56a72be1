import { GetTask, SubmitTask, type DataOf, type MessageDefinition, type ReplyOf, type TaskView } from '@baton/contracts';
import { appendEntry, stamp, unmetDependencies, type HandoffContext, type TaskFileEntry } from './handoff';
import { setInline, type TaskState, type TaskSummary } from './task-file';
import type { StoredTask } from './task-store';

/**
 * The way up from the file mode to the engine. `baton files sync` imports every task of
 * `ready/` into a running Baton as a scheduler task (submit-task), with a task id derived from
 * the file's id, so a second run finds it and submits nothing; and it mirrors what the engine
 * did back into the files (assigned → in-progress/, completed → done/, failed or cancelled →
 * failed/). The engine has no task dependencies of its own, so a task waits in `ready/` until
 * the tasks it depends on are done, and a later sync submits it.
 */

/** What sync needs from Baton: the CLI's RPC client is one. */
export interface EngineClient {
  command<D extends MessageDefinition>(def: D, data: DataOf<D>, options: { readonly commandId: string }): Promise<ReplyOf<D>>;
  query<D extends MessageDefinition>(def: D, data: DataOf<D>): Promise<ReplyOf<D>>;
}

export interface SyncOptions {
  /** Prefix of the engine task ids, so several repositories can share one Baton. */
  readonly namespace: string;
  /** The engine task's action (what agents dispatch on). */
  readonly action: string;
  /** Capabilities an agent needs to be given the tasks. */
  readonly capabilities: readonly string[];
}

export interface SyncReport {
  readonly submitted: readonly { readonly id: string; readonly engineTaskId: string }[];
  readonly alreadyImported: readonly { readonly id: string; readonly engineTaskId: string; readonly engineStatus: string }[];
  readonly mirrored: readonly { readonly id: string; readonly from: TaskState; readonly to: TaskState; readonly engineStatus: string }[];
  readonly waiting: readonly { readonly id: string; readonly waitingFor: readonly string[] }[];
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
}

const ENGINE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A namespace from a directory name: `My Repo` → `my-repo`. */
export function namespaceFor(name: string): string {
  const ns = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '').slice(0, 40);
  return ns === '' ? 'files' : ns;
}

/** The engine task id of a file task: `files.<namespace>.<id>`, the same on every run. */
export function engineTaskId(namespace: string, fileTaskId: string): string {
  const id = `files.${namespace}.${fileTaskId}`;
  if (!ENGINE_ID.test(id)) throw new Error(`cannot derive an engine task id from ${namespace}/${fileTaskId}`);
  return id;
}

/** The submit-task body of a file task: priority, dependencies, affected files and all its context. */
export function submission(task: TaskSummary, options: SyncOptions): DataOf<typeof SubmitTask> {
  return {
    taskId: engineTaskId(options.namespace, task.id),
    action: options.action,
    requirement: { capabilities: [...options.capabilities] },
    priority: task.priority,
    inputs: {
      source: 'baton-files',
      fileTaskId: task.id,
      title: task.title,
      goal: task.goal,
      acceptanceCriteria: task.acceptanceCriteria.map((c) => c.text),
      definitionOfReady: task.definitionOfReady.map((c) => c.text),
      definitionOfDone: task.definitionOfDone.map((c) => c.text),
      filesAffected: [...task.filesAffected],
      dependencies: task.dependencies.map((d) => engineTaskId(options.namespace, d)),
      implementationNotes: task.implementationNotes,
      reviewFeedback: task.reviewFeedback,
      errorContext: task.errorContext,
      git: { branch: task.git.branch ?? null, commit: task.git.commit ?? null, pr: task.git.pr ?? null },
      fileAgent: task.agent,
    },
  };
}

/** Where an engine status puts the file. */
export function stateForEngineStatus(status: TaskView['status']): TaskState {
  switch (status) {
    case 'queued':
      return 'ready';
    case 'assigned':
    case 'accepted':
    case 'blocked':
      return 'in-progress';
    case 'completed':
      return 'done';
    case 'failed':
    case 'cancelled':
      return 'failed';
    default: {
      const never: never = status;
      throw new Error(`unknown engine status ${String(never)}`);
    }
  }
}

async function engineTask(client: EngineClient, taskId: string): Promise<TaskView | undefined> {
  try {
    return await client.query(GetTask, { taskId });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

function mirrorNote(view: TaskView, at: Date): TaskFileEntry {
  const by = view.agentId ?? 'baton';
  switch (view.status) {
    case 'completed':
      return { at, by, what: `completed in Baton (task ${view.taskId})`, body: `Outputs: ${JSON.stringify(view.outputs ?? {})}` };
    case 'failed':
    case 'cancelled':
      return {
        at,
        by,
        what: `${view.status} in Baton (task ${view.taskId}, attempt ${view.attempt} of ${view.maxAttempts})`,
        body: view.error ? `${view.error.code ?? 'ERROR'}: ${view.error.message}` : 'no error message',
      };
    default:
      return { at, by, what: `${view.status} in Baton (task ${view.taskId})`, body: view.progressMessage ?? undefined };
  }
}

/** Moves one file to where the engine's task stands; returns the move, or undefined when it is already there. */
async function mirror(ctx: HandoffContext, stored: StoredTask, view: TaskView): Promise<{ from: TaskState; to: TaskState } | undefined> {
  const to = stateForEngineStatus(view.status);
  const agent = view.agentId ?? stored.task.agent;
  if (to === stored.state && agent === stored.task.agent) return undefined;
  const now = ctx.now();
  let doc = setInline(setInline(stored.doc, 'Status', to), 'Last Updated', stamp(now));
  if (agent !== stored.task.agent) doc = setInline(doc, 'Agent', agent);
  doc = appendEntry(doc, to === 'failed' ? 'Error Context' : 'Implementation Notes', mirrorNote(view, now));
  await ctx.store.save(stored, to, doc);
  return { from: stored.state, to };
}

/**
 * One sync: mirror the engine's status of every imported task into its file, then submit the
 * ready tasks the engine does not have yet whose dependencies are done. Safe to run again and
 * again: task ids and command ids are derived from the file task ids.
 */
export async function syncFiles(ctx: HandoffContext, client: EngineClient, options: SyncOptions): Promise<SyncReport> {
  const report = { submitted: [], alreadyImported: [], mirrored: [], waiting: [], skipped: [] } as {
    -readonly [K in keyof SyncReport]: SyncReport[K] extends readonly (infer T)[] ? T[] : never;
  };
  const known = new Set<string>();
  for (const stored of (await ctx.store.list()).tasks) {
    if (stored.state === 'done' || stored.state === 'failed' || stored.state === 'pending') continue;
    const engineId = engineTaskId(options.namespace, stored.task.id);
    const view = await engineTask(client, engineId);
    if (view === undefined) continue;
    known.add(stored.task.id);
    report.alreadyImported.push({ id: stored.task.id, engineTaskId: engineId, engineStatus: view.status });
    try {
      const moved = await mirror(ctx, stored, view);
      if (moved) report.mirrored.push({ id: stored.task.id, ...moved, engineStatus: view.status });
    } catch (err) {
      report.skipped.push({ id: stored.task.id, reason: `could not mirror ${view.status}: ${(err as Error).message}` });
    }
  }
  // Mirroring may have finished dependencies: read the files again before deciding what to submit.
  const { tasks } = await ctx.store.list();
  for (const stored of tasks) {
    if (known.has(stored.task.id)) continue;
    if (stored.state === 'pending') {
      report.skipped.push({ id: stored.task.id, reason: 'not prepared yet (pending/)' });
      continue;
    }
    if (stored.state === 'in-progress' || stored.state === 'review') {
      report.skipped.push({ id: stored.task.id, reason: `with ${stored.task.agent} in the file mode (${stored.state}/)` });
      continue;
    }
    if (stored.state !== 'ready') continue;
    const waitingFor = unmetDependencies(stored.task, tasks);
    if (waitingFor.length > 0) {
      report.waiting.push({ id: stored.task.id, waitingFor });
      continue;
    }
    const data = submission(stored.task, options);
    try {
      await client.command(SubmitTask, data, { commandId: `files-sync.${data.taskId!}` });
      report.submitted.push({ id: stored.task.id, engineTaskId: data.taskId! });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'UNAVAILABLE' || code === 'TIMEOUT') throw err;
      report.skipped.push({ id: stored.task.id, reason: `${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message}` });
    }
  }
  return report;
}
