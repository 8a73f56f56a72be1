import { alongsideOf, type Alongside, type CommandContext, type CommandMetadata } from '@baton/aggregate';
import { errorCodeOf, type NewEvent, type RecordedEvent } from '@baton/contracts';
import { BatonAttributes, contextOfTraceHeaders, inSpan, traceHeadersOf, tracingEnabled, type TraceHeaders } from '@baton/telemetry';
import type { Transaction } from 'kysely';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { toRunEvent, toTaskEvent, type RunCommand, type RunEvent, type StageTaskSpec, type TaskDefinition } from '../domain';
import type { RunRunner, TaskRunner } from './runners';
import { createTask, createTaskAlongside, type AssignAtCreate } from './create-task';

/** Name of the run process manager's checkpoint (in `scheduler.projection_checkpoints`). */
export const RUN_MANAGER = 'run-manager';

/** The run process manager reads run events (to create and cancel tasks) and task events (to feed results back). */
export const RUN_MANAGER_FILTER = { categories: ['run', 'task'] } as const;

type Trx = Transaction<SchedulerDatabase>;

/** Codes that mean "the task is already past this": cancelling a finished task, for example. */
const ALREADY_SETTLED = new Set(['ILLEGAL_TRANSITION', 'CONFLICT']);

/**
 * The run process manager, applied by a ProjectionRunner (checkpoint `run-manager`) on the lease
 * holder. It turns run decisions into task-engine commands and task outcomes into run commands:
 *
 * - `StageStarted` / `StageCleanupStarted` / `FailureStepsStarted` → `CreateTask` for each task
 *   (command id `run-<id>:stage-<sid>:iter-<n>:task-<key>`, task id derived from the same parts),
 *   plus the stage's SLA timer row (in the checkpoint's transaction);
 * - `RunCancelled` / `RunFailed` → `CancelTask` for the open tasks, and its timers removed;
 * - `TaskCompleted`, final `TaskFailed`, `TaskCancelled` of a run's task → `RecordTaskResult`
 *   on the run (command id `task-result:<taskId>`); the run comes from the event itself (the task's
 *   stream is read only for events written before they carried it).
 *
 * Every effect is idempotent by its command id, so a crash between an effect and the checkpoint
 * only replays effects that then append nothing.
 *
 * A run append committed in this process that starts stages (a run started, a task's result
 * that moves the run on, an approval) has their tasks created at once by
 * {@link createTasksOfCommitted}, from the events as stored (ids, trace); the manager's pass over
 * the same events then appends nothing. So a stage starts without a trip through the store's feed.
 *
 * Tracing: a stage's tasks are created in a span `stage <stageId>` under the trace stored with
 * the event that started the stage (the run's trace), so each task, the agent's work on it and
 * its handoff's verdict sit under their stage, whatever woke this process.
 */
export function runManager(deps: ManagerDeps): (trx: Trx, recorded: RecordedEvent) => Promise<void> {
  return async (trx, recorded) => {
    if (recorded.streamId.startsWith('run-')) {
      if (RUN_EVENTS_IGNORED.has(recorded.type)) return;
      // Every other run event type is handled there (a new one fails to compile until it is there or in RUN_EVENTS_IGNORED).
      await onRunEvent(trx, deps, toRunEvent(recorded) as Exclude<RunEvent, { type: RunEventIgnored }>, recorded);
    }
    else if (recorded.streamId.startsWith('task-')) await onTaskEvent(deps, recorded);
  };
}

export interface ManagerDeps extends StageTaskDeps {
  readonly runs: RunRunner;
  /** Told when a pass wrote a run timer (a stage or run SLA): the timer loop needs a wake only then. */
  readonly timerWritten?: () => void;
}

/** What creating a stage's tasks takes: the task runner, and the dispatcher's planning at creation (see createTask). */
export interface StageTaskDeps {
  readonly tasks: TaskRunner;
  readonly assign?: AssignAtCreate;
  /** The start events whose tasks {@link createTasksOfCommitted} created: the manager's pass over them creates none again. */
  readonly createdAtCommit?: CreatedAtCommit;
}

/**
 * The ids of run events whose tasks were created at their commit in this process (see
 * {@link createTasksOfCommitted}), kept until the manager's pass over the same event takes them:
 * that pass then sends no CreateTask, which for a task settled meanwhile was an append refused
 * (the stream exists) and a read of the stream, on the same append lane as the next stage's
 * work. At most `max` kept (the oldest forgotten: its pass only costs that refused append).
 */
export class CreatedAtCommit {
  readonly #ids = new Set<string>();

  constructor(private readonly max = 10_000) {}

  add(eventId: string): void {
    this.#ids.add(eventId);
    if (this.#ids.size > this.max) this.#ids.delete(this.#ids.values().next().value as string);
  }

  /** True when the event's tasks were created at its commit (and not yet taken). */
  has(eventId: string): boolean {
    return this.#ids.has(eventId);
  }

  /** True (once) when the event's tasks were created at its commit. */
  take(eventId: string): boolean {
    return this.#ids.delete(eventId);
  }
}

/** What an effect takes from the event it answers: the causation and the trace. */
type Cause = Pick<RecordedEvent, 'eventId' | 'metadata'>;

/** Run events whose effect is creating tasks: applied at once when a run append committed here carries them (see {@link createTasksOfCommitted}). */
const STARTS_TASKS: ReadonlySet<string> = new Set(['StageStarted', 'StageCleanupStarted', 'FailureStepsStarted', 'StageApprovalRequested']);

/** Creates a stage's tasks in the stage's span (see {@link runManager}); tracing off, under the event's trace as stored. */
/** The tasks a run event starts: a stage's, its cleanup's, failure steps', agent approvers' `approve_stage`; undefined for other events. */
interface StageStart {
  readonly runId: string;
  readonly stageId: string;
  readonly iteration: number;
  readonly specs: readonly StageTaskSpec[];
  /** The stage span's name. */
  readonly name: string;
}

function stageStartOf(event: RunEvent): StageStart | undefined {
  switch (event.type) {
    case 'StageStarted':
    case 'StageCleanupStarted': {
      const d = event.data;
      return { runId: d.runId, stageId: d.stageId, iteration: d.iteration, specs: d.tasks, name: event.type === 'StageCleanupStarted' ? `stage ${d.stageId} cleanup` : `stage ${d.stageId}` };
    }
    case 'FailureStepsStarted':
      return { runId: event.data.runId, stageId: 'on_failure', iteration: 1, specs: event.data.tasks, name: 'stage on_failure' };
    case 'StageApprovalRequested':
      // Agent approvers get `approve_stage` tasks; a human approval waits for approve-stage.
      return { runId: event.data.runId, stageId: event.data.stageId, iteration: event.data.iteration, specs: event.data.tasks, name: `stage ${event.data.stageId} approval` };
    default:
      return undefined;
  }
}

/** Each task a stage start creates, with its command context (the same command id whichever way it is created). */
function stageTaskCreations(start: StageStart, causationId: string, trace: TraceHeaders | undefined): { readonly data: TaskDefinition; readonly ctx: CommandContext }[] {
  const { runId, stageId, iteration } = start;
  return start.specs.map((t) => ({
    data: {
      taskId: t.taskId,
      runId,
      stageId,
      action: t.action,
      requirement: t.requirement,
      priority: t.priority,
      inputs: t.inputs,
      maxAttempts: t.maxAttempts,
      retry: t.retry,
      timeoutMs: t.timeoutMs,
      slaDueAt: null,
    },
    ctx: {
      commandId: `run-${runId}:stage-${stageId}:iter-${iteration}:task-${t.key}`,
      correlationId: runId,
      causationId,
      actor: { kind: 'service', id: 'scheduler' },
      ...(trace?.traceparent ? { trace } : {}),
    },
  }));
}

/** Creates a stage's tasks in the stage's span (see {@link runManager}); tracing off, under the event's trace as stored. */
function createStageTasks(deps: StageTaskDeps, recorded: Cause, start: StageStart): Promise<void> {
  if (!tracingEnabled()) return createTasks(deps, start, recorded.eventId, recorded.metadata);
  return inSpan(
    start.name,
    {
      parent: contextOfTraceHeaders(recorded.metadata),
      attributes: () => ({ [BatonAttributes.runId]: start.runId, [BatonAttributes.stageId]: start.stageId, 'baton.stage.iteration': start.iteration, 'baton.stage.tasks': start.specs.length }),
    },
    (span) => createTasks(deps, start, recorded.eventId, traceHeadersOf(span.spanContext())),
  );
}

async function createTasks(deps: StageTaskDeps, start: StageStart, causationId: string, trace: TraceHeaders | undefined): Promise<void> {
  // A task id is new to its stage iteration. Created already (a replayed event), the append is
  // refused and the kernel reads the stream and answers as a repeat.
  for (const { data, ctx } of stageTaskCreations(start, causationId, trace)) await createTask(deps.tasks, data, ctx, deps.assign);
}

async function cancelTasks(deps: { tasks: TaskRunner }, runId: string, taskIds: readonly string[], reason: string, causationId: string): Promise<void> {
  for (const taskId of taskIds) {
    try {
      await deps.tasks.execute(taskId, (metadata) => ({ type: 'CancelTask', data: { taskId, reason }, metadata }), {
        commandId: `run-${runId}:cancel:${taskId}`,
        correlationId: runId,
        causationId,
        actor: { kind: 'service', id: 'scheduler' },
      });
    } catch (err) {
      const code = errorCodeOf(err);
      if (code === undefined || !ALREADY_SETTLED.has(code)) throw err;
    }
  }
}

/** Creates the tasks a run event starts (a stage, its cleanup, failure steps, agent approvers' `approve_stage`); other events start none. */
async function startStageTasks(deps: StageTaskDeps, event: RunEvent, recorded: Cause): Promise<void> {
  const start = stageStartOf(event);
  if (start !== undefined) await createStageTasks(deps, recorded, start);
}

async function onRunEvent(trx: Trx, deps: ManagerDeps, event: Exclude<RunEvent, { type: RunEventIgnored }>, recorded: Cause): Promise<void> {
  switch (event.type) {
    case 'StageStarted':
    case 'StageCleanupStarted': {
      const d = event.data;
      if (!deps.createdAtCommit?.take(recorded.eventId)) await startStageTasks(deps, event, recorded);
      // A stage's cleanup is under the same SLA timer (one per iteration); an orchestrator stage gets its timer only now, with its first task.
      if (d.slaDueAt !== null && d.tasks.length > 0) {
        deps.timerWritten?.();
        // A run's workflow never changes: the kept state tells it without a read.
        const run = deps.runs.kept(d.runId) ?? (await deps.runs.load(d.runId)).state;
        await trx
          .insertInto('scheduler.run_timers')
          .values({
            timer_id: `sla:${d.runId}:${d.stageId}:${d.iteration}`,
            kind: 'stage-sla',
            workflow_id: run.exists ? run.workflowId : '',
            run_id: d.runId,
            stage_id: d.stageId,
            iteration: d.iteration,
            cron: null,
            due_at: new Date(d.slaDueAt),
          })
          .onConflict((oc) => oc.column('timer_id').doNothing())
          .execute();
      }
      return;
    }
    case 'FailureStepsStarted':
    case 'StageApprovalRequested':
      if (!deps.createdAtCommit?.take(recorded.eventId)) await startStageTasks(deps, event, recorded);
      return;
    case 'RunCancelled':
    case 'RunFailed': {
      const reason = event.type === 'RunCancelled' ? `run cancelled: ${event.data.reason}` : `run failed: ${event.data.error}`;
      await cancelTasks(deps, event.data.runId, event.data.openTaskIds, reason, recorded.eventId);
      await trx.deleteFrom('scheduler.run_timers').where('run_id', '=', event.data.runId).execute();
      return;
    }
    case 'RunCompleted':
      await trx.deleteFrom('scheduler.run_timers').where('run_id', '=', event.data.runId).execute();
      return;
    case 'StageCompleted':
    case 'StageFailed':
    case 'StageSkipped':
      await trx.deleteFrom('scheduler.run_timers').where('run_id', '=', event.data.runId).where('stage_id', '=', event.data.stageId).execute();
      return;
    case 'RunStarted': {
      const d = event.data;
      if (d.slaDueAt === undefined || d.slaDueAt === null) return;
      deps.timerWritten?.();
      await trx
        .insertInto('scheduler.run_timers')
        .values({ timer_id: `run-sla:${d.runId}`, kind: 'run-sla', workflow_id: d.workflowId, run_id: d.runId, stage_id: null, iteration: null, cron: null, due_at: new Date(d.slaDueAt) })
        .onConflict((oc) => oc.column('timer_id').doNothing())
        .execute();
      return;
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** Run event types the manager does nothing for: its pass returns before reading them, and they are inert (see runManagerInert). */
const RUN_EVENT_TYPES_IGNORED = [
  'StageTaskFinished', 'StageSlaBreached', 'RunSlaBreached', 'RunPaused', 'RunResumed', 'StageApproved', 'StageRejected', 'StageReworkRequested', 'StageEscalated', 'StageReused', 'RunRerunStarted',
] as const satisfies readonly RunEvent['type'][];
type RunEventIgnored = (typeof RUN_EVENT_TYPES_IGNORED)[number];
const RUN_EVENTS_IGNORED: ReadonlySet<string> = new Set(RUN_EVENT_TYPES_IGNORED);

/** What {@link runManagerInert} looks at besides the event: the runs kept in memory and the stages whose tasks were created at commit. */
export interface RunManagerMemory {
  readonly runs: Pick<RunRunner, 'knows' | 'kept'>;
  readonly createdAtCommit?: Pick<CreatedAtCommit, 'has'>;
}

/**
 * The events the run manager would do nothing for, told without a query: a run event it
 * ignores (a run started without an SLA too); a task event that ends no run's task (its
 * creation, assignment, progress; a retried failure; the end of a task with no run); and, from
 * memory, the end of a run's task whose result the run has recorded already (alongside the
 * ending), a stage start whose tasks were created at its commit and that sets no SLA timer, and
 * the end of a stage without an SLA (no timer to delete). The projection runner applies a batch
 * of only these without a transaction (its `inert`).
 */
export function runManagerInert(memory: RunManagerMemory): (recorded: RecordedEvent) => boolean {
  return (recorded) => {
    const data = recorded.data as { runId?: unknown; taskId?: unknown; final?: unknown; slaDueAt?: unknown; stageId?: unknown; tasks?: unknown };
    if (recorded.streamId.startsWith('run-')) {
      if (RUN_EVENTS_IGNORED.has(recorded.type)) return true;
      switch (recorded.type) {
        case 'RunStarted':
          return data.slaDueAt === undefined || data.slaDueAt === null;
        case 'StageStarted':
        case 'StageCleanupStarted':
          // No timer to write (no SLA, or an orchestrator stage with no task yet), no task to create.
          if (data.slaDueAt !== null && Array.isArray(data.tasks) && data.tasks.length > 0) return false;
          return memory.createdAtCommit?.has(recorded.eventId) === true;
        case 'FailureStepsStarted':
        case 'StageApprovalRequested':
          return memory.createdAtCommit?.has(recorded.eventId) === true;
        case 'StageCompleted':
        case 'StageFailed':
        case 'StageSkipped': {
          // A stage's SLA comes from its definition: a stage the kept run shows without one never had a timer.
          if (typeof data.runId !== 'string' || typeof data.stageId !== 'string') return false;
          const run = memory.runs.kept(data.runId);
          const stage = run?.exists ? run.stages[data.stageId] : undefined;
          return stage !== undefined && stage.slaMs === null;
        }
        default:
          return false;
      }
    }
    if (!recorded.streamId.startsWith('task-')) return false;
    if (!RUN_TASK_ENDINGS.has(recorded.type)) return true;
    // An ending names its run (null: none); events written before it did are read for it.
    if (data.runId === null || (recorded.type === 'TaskFailed' && data.final === false)) return true;
    return typeof data.runId === 'string' && typeof data.taskId === 'string' && memory.runs.knows(data.runId, recordResultCommandId(data.taskId));
  };
}

/** Task event types that can end a run's task (a TaskFailed only when final: `taskResultOf` tells). */
const RUN_TASK_ENDINGS: ReadonlySet<string> = new Set(['TaskCompleted', 'TaskFailed', 'TaskCancelled']);

/** True for the types of task event that may give a run a task's result, without reading the event. */
export function mayEndRunTask(type: string): boolean {
  return RUN_TASK_ENDINGS.has(type);
}

type TaskResult = { status: 'succeeded' | 'failed'; agentId: string | null; outputs: Readonly<Record<string, unknown>>; error: string | null };

/**
 * The result a task event gives its run, with the run the event names (undefined for events
 * written before they carried it), or undefined when it ends nothing (a retried failure, progress, ...).
 */
function taskResultOf(event: ReturnType<typeof toTaskEvent>): { result: TaskResult; runId: string | null | undefined } | undefined {
  switch (event.type) {
    case 'TaskCompleted':
      return { result: { status: 'succeeded', agentId: event.data.agentId, outputs: event.data.outputs, error: null }, runId: event.data.runId };
    case 'TaskFailed':
      return event.data.final ? { result: { status: 'failed', agentId: event.data.agentId, outputs: {}, error: event.data.error.message }, runId: event.data.runId } : undefined;
    case 'TaskCancelled':
      return { result: { status: 'failed', agentId: null, outputs: {}, error: `cancelled: ${event.data.reason}` }, runId: event.data.runId };
    case 'TaskCreated':
    case 'TaskAssigned':
    case 'TaskAccepted':
    case 'TaskProgressReported':
    case 'TaskBlocked':
    case 'TaskUnblocked':
    case 'TaskReleased':
    case 'TaskHandoffRejected':
      return undefined;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/**
 * `RecordTaskResult` on the run (command id `task-result:<taskId>`), under the run's own trace
 * (its first span), linked to the task's ending: a stage that starts next is the run's child, not
 * the previous task's. Nothing for a task that names a run this scheduler never started
 * (submitted by hand with a runId).
 */
async function recordResult(deps: ManagerDeps, runId: string, taskId: string, result: TaskResult, cause: Cause): Promise<void> {
  try {
    await deps.runs.execute(runId, recordResultCommand(taskId, result), recordResultContext(taskId, cause));
  } catch (err) {
    if (errorCodeOf(err) !== 'NOT_FOUND') throw err;
  }
}

function recordResultCommand(taskId: string, result: TaskResult): (metadata: CommandMetadata) => RunCommand {
  return (metadata) => ({ type: 'RecordTaskResult', data: { taskId, ...result }, metadata });
}

/** The command id of a task's result on its run: one per task, so a replay records nothing new. */
function recordResultCommandId(taskId: string): string {
  return `task-result:${taskId}`;
}

function recordResultContext(taskId: string, cause: Cause): CommandContext {
  return { commandId: recordResultCommandId(taskId), causationId: cause.eventId, causes: [cause.metadata] };
}

async function onTaskEvent(deps: ManagerDeps, recorded: RecordedEvent): Promise<void> {
  const event = toTaskEvent(recorded);
  const ending = taskResultOf(event);
  if (ending === undefined) return;
  const taskId = event.data.taskId;
  const runId = ending.runId !== undefined ? ending.runId : await runIdFromStream(deps.tasks, taskId);
  if (runId === null) return;
  await recordResult(deps, runId, taskId, ending.result, recorded);
}

/**
 * A run's task ended in this process and its append committed (the task runner's
 * `onCommitted`): records the result on the run now, as the manager's pass over the same event
 * does when the store's feed brings it (that pass then appends nothing). The stages the result
 * starts have their tasks created by {@link createTasksOfCommitted}. Lease holder only, like the manager.
 */
export async function recordTaskEndingNow(deps: ManagerDeps, ended: EndingEvent): Promise<void> {
  const ending = runTaskEnding(ended);
  if (ending !== undefined) await recordResult(deps, ending.runId, ending.taskId, ending.result, ended);
}

/** A task event as appended here, with its id. */
type EndingEvent = Pick<NewEvent, 'type' | 'schemaVersion' | 'data' | 'metadata'> & { readonly eventId: string };

/** The run result a task event records, when it ends a task that names its run. */
function runTaskEnding(ended: EndingEvent): { readonly runId: string; readonly taskId: string; readonly result: TaskResult } | undefined {
  const event = toTaskEvent({ type: ended.type, schemaVersion: ended.schemaVersion ?? 1, data: ended.data });
  const ending = taskResultOf(event);
  if (ending === undefined || ending.runId === undefined || ending.runId === null) return undefined;
  return { runId: ending.runId, taskId: event.data.taskId, result: ending.result };
}

/**
 * The run step a task's ending records, decided to commit in the same transaction as the ending
 * itself (the task runner's `alongside`): a stage's completion and the run's next step are then
 * one commit, not two in a row. Undefined when the ending names no run, or the run is not kept
 * in memory here (then {@link recordTaskEndingNow} records it once the ending committed, as
 * before). Lease holder only, like the manager.
 */
export function recordTaskEndingAlongside(deps: ManagerDeps, ended: EndingEvent): Promise<Alongside | undefined> {
  const ending = runTaskEnding(ended);
  if (ending === undefined) return Promise.resolve(undefined);
  return deps.runs.decideAlongside(ending.runId, recordResultCommand(ending.taskId, ending.result), recordResultContext(ending.taskId, ended));
}

/** True when a run append's events may start tasks (see {@link createTasksOfCommitted}), without reading them. */
export function mayStartTasks(recorded: readonly Pick<NewEvent, 'type'>[]): boolean {
  return recorded.some((e) => STARTS_TASKS.has(e.type));
}

/**
 * A run append committed in this process (the run runner's `onCommitted`): creates the tasks of
 * the stages it starts now, as the manager's pass does when the store's feed brings the events
 * (that pass then appends nothing, and writes the stage SLA timers in its transaction). Lease
 * holder only, like the manager.
 */
export async function createTasksOfCommitted(deps: StageTaskDeps, recorded: readonly NewEvent[]): Promise<void> {
  for (const e of recorded) {
    // Created in the run append's own commit (see createTasksAlongside): nothing to do.
    if (!STARTS_TASKS.has(e.type) || e.eventId === undefined || deps.createdAtCommit?.has(e.eventId) === true) continue;
    await startStageTasks(deps, toRunEvent({ type: e.type, schemaVersion: e.schemaVersion ?? 1, data: e.data }), { eventId: e.eventId, metadata: e.metadata });
    deps.createdAtCommit?.add(e.eventId);
  }
}

/**
 * The tasks the run events about to be appended start, decided to commit in the same
 * transaction (the run runner's `alongside`): a stage's start and its tasks, created assigned
 * where an agent is free, are one commit. All of an event's tasks or none: undefined when one
 * cannot be decided so, and with tracing on (the stage's span is made as its tasks are created,
 * see createStageTasks); then {@link createTasksOfCommitted} creates them after the run's
 * commit, as before. Lease holder only, like the manager.
 */
export async function createTasksAlongside(deps: StageTaskDeps, recorded: readonly NewEvent[]): Promise<Alongside | undefined> {
  if (tracingEnabled()) return undefined;
  const parts: Alongside[] = [];
  const starts: string[] = [];
  // Any task that cannot go (or an event that does not read) gives back the slots reserved so far.
  const giveBack = (): undefined => void alongsideOf(parts)?.abandoned();
  try {
    for (const e of recorded) {
      if (!STARTS_TASKS.has(e.type) || e.eventId === undefined) continue;
      const start = stageStartOf(toRunEvent({ type: e.type, schemaVersion: e.schemaVersion ?? 1, data: e.data }));
      if (start === undefined) continue;
      for (const { data, ctx } of stageTaskCreations(start, e.eventId, e.metadata)) {
        const part = await createTaskAlongside(deps.tasks, data, ctx, deps.assign);
        if (part === undefined) return giveBack();
        parts.push(part);
      }
      starts.push(e.eventId);
    }
  } catch {
    return giveBack();
  }
  const all = alongsideOf(parts);
  if (all === undefined) return undefined;
  return {
    ...all,
    committed: (results) => {
      // Before the run's commit is told: its onCommitted (createTasksOfCommitted) skips these.
      for (const id of starts) deps.createdAtCommit?.add(id);
      return all.committed(results);
    },
  };
}

/** For an ending event written before it carried its run: the run as the task's stream knows it. */
async function runIdFromStream(tasks: TaskRunner, taskId: string): Promise<string | null> {
  const { state } = await tasks.load(taskId);
  return state.exists ? state.runId : null;
}
