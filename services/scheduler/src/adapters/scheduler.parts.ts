import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Alongside, Clock, Decided, IdSource } from '@baton/aggregate';
import type { AgentInboxAssignment, NewEvent, RecordedEvent } from '@baton/contracts';
import { loadHandoffCatalog } from '@baton/handoff-rules';
import type { SubscriptionFeed } from '@baton/event-store';
import { EventRelay, type MessagingLogger, type ServiceHost } from '@baton/messaging';
import { ProjectionRunner } from '@baton/read-models';
import { conflictManager, CONFLICT_MANAGER_CATEGORIES, resetConflictLinks, type ConflictManager } from '../app/conflict.manager';
import { ConflictService } from '../app/conflict.service';
import { applicableSpecs, receivedHandoffSla } from '../app/handoff-specs';
import { CreatedAtCommit, createTasksAlongside, createTasksOfCommitted, mayEndRunTask, mayStartTasks, recordTaskEndingAlongside, recordTaskEndingNow, RUN_MANAGER, RUN_MANAGER_FILTER, runManager, runManagerInert } from '../app/run.manager';
import { RunService } from '../app/run.service';
import { conflictRunner, runEnvironment, runRunner, workflowRunner, type ConflictRunner, type RunRules, type TaskRunner } from '../app/runners';
import { TaskReassigner } from '../app/task-reassigner';
import type { FinishedTask, SubmittedTask } from '../app/task.service';
import type { AssignAtCreate } from '../app/create-task';
import { WorkflowDefinitions } from '../app/workflow-definitions';
import { DEFAULT_READ_MODEL_INTERVAL_MS, type SchedulerConfig } from '../config';
import type { TaskEvent, TaskState } from '../domain';
import { resetConflicts, TASKS_AND_CONFLICTS_FILTER, withConflictEvents } from '../read-model/conflict.projection';
import { withConflictTables } from '../read-model/conflict.tables';
import { SCHEDULER_SCHEMA, type SchedulerDatabase } from '../read-model/scheduler.tables';
import { resetTasks, taskProjection, TASKS_PROJECTION } from '../read-model/task.projection';
import { resetWorkflows, WORKFLOWS_PROJECTION, WORKFLOWS_PROJECTION_FILTER, workflowsProjection, workflowsProjectionInert } from '../read-model/workflows.projection';
import { AgentInboxPublisher, PreparedAssignments } from './agent-inbox.publisher';
import { AssignmentWaiters } from './assignment-waiters';
import { ConflictGuard } from './conflict.guard';
import { Dispatcher, type DispatcherCounts } from './dispatcher';
import { runTimerPass } from './run-timer-poller';
import { timerPass } from './timer-poller';
import { WakeLoop } from './wake-loop';
import { TRUST_ENVELOPE_ACTOR } from '../app/actor-check';
import { GatewayActorAssertions } from './gateway-actor.assertions';

/**
 * States kept hot per aggregate on the hot path (tasks, runs): an agent's reports and the
 * dispatcher's assignments decide from memory, and the append's revision check tells when a
 * state went stale (another replica wrote), which then costs one re-read. Finished tasks are
 * settled (not kept), so this bounds the live ones: a backlog of 20,000 queued tasks drained
 * with 10,000 cost half its assignments a whole-stream read (4.5 → 3.4 ms of server CPU per
 * lifecycle at 25,000, scheduler RSS after the drain 218 → 222 MB).
 */
export const HOT_STREAMS = 25_000;

/** What every part of the scheduler is built from. */
export interface SchedulerParts {
  readonly host: ServiceHost<SchedulerDatabase>;
  readonly config: Pick<SchedulerConfig, 'agingIntervalMs' | 'dispatchPollMs' | 'timerPollMs' | 'dispatchBatchSize' | 'handoffsDir' | 'maxRejections' | 'actorKeysFile' | 'readModelIntervalMs' | 'directConfirmMs'>;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: MessagingLogger;
  /** True while this replica holds the dispatcher lease. */
  readonly isLeader: () => boolean;
  /** Every subscription of the scheduler goes through this one read of the store's new events. */
  readonly feed: SubscriptionFeed;
}

/** What a part does only while this replica holds the dispatcher lease. */
export interface LeaderWork {
  lead(): Promise<void>;
  stepDown(): Promise<void>;
}

/** Calls `after` with the type of each event in a committed projection batch (a set per batch, so one wake each). */
function onAppliedTypes(after: (types: ReadonlySet<string>) => void): (events: readonly RecordedEvent[]) => void {
  return (events) => after(new Set(events.map((e) => e.type)));
}

/** A relay of the store's events to JetStream, started under the lease. */
async function startRelay(p: SchedulerParts, name: string, filter: { readonly categories: readonly string[] }): Promise<EventRelay> {
  const interest = await p.host.relayInterest();
  const relay = new EventRelay({ name, store: p.host.store, feed: p.feed, js: p.host.publisher, checkpoints: p.host.checkpoints, filter, ...(interest ? { interest } : {}), now: () => p.clock.now().getTime(), logger: p.logger });
  await relay.start();
  return relay;
}

export interface ConflictsPart {
  readonly runner: ConflictRunner;
  /** The dispatcher's and claims' conflict check. */
  readonly guard: ConflictGuard;
  /** Runs in the run manager's projection (one subscription for both process managers). */
  readonly manager: ConflictManager;
  readonly service: ConflictService;
}

/**
 * Conflicts: the `conflict-<id>` runner, the guard that holds conflicting tasks back, the conflict
 * process manager and the resolve/list use cases. Their read model (`scheduler.conflicts`) is
 * kept by the tasks projection and their events go out with the task relay.
 */
export function startConflicts(p: SchedulerParts, tasks: TaskRunner, reassigner: TaskReassigner): ConflictsPart {
  const { store, db } = p.host;
  const runner = conflictRunner(store, { clock: p.clock, ids: p.ids });
  return {
    runner,
    guard: new ConflictGuard({ db, conflicts: runner, isLeader: p.isLeader, logger: p.logger }),
    manager: conflictManager({ conflicts: runner, tasks }),
    service: new ConflictService(runner, store, withConflictTables(db), p.clock, reassigner),
  };
}

export interface TasksPart extends LeaderWork {
  /** The tasks read model (queue, durable timers) and, in the same transactions, `scheduler.conflicts`. */
  readonly projection: ProjectionRunner<SchedulerDatabase>;
  wakeDispatcher(): void;
  /** An agent's report ended its hold on a task: its slot is free now (see Dispatcher.finished). */
  taskFinished(finished: FinishedTask): void;
  /** A submit here created a task: the dispatcher may plan it before the read model shows it (see Dispatcher.submitted). */
  taskSubmitted(submitted: SubmittedTask): void;
  /** The dispatcher's planning of a task at its creation (see Dispatcher.reserve). */
  readonly assign: AssignAtCreate;
  /** Tasks the dispatcher changed that the read model does not show yet (see Dispatcher.inFlight). */
  inFlight(): number;
  /** Dispatcher passes run so far, and the read model's pages that asked for one (see Dispatcher.passes, Dispatcher.readModelWakes). */
  counts(): DispatcherCounts;
  /** Resolves once the dispatcher pass under way, if any, has ended (see Dispatcher.passEnded). */
  passEnded(): Promise<void>;
  /** Agents waiting for their next assignment (`await-assignment`); the inbox publisher answers them while this replica leads. */
  readonly waiters: AssignmentWaiters;
}

/**
 * Tasks: the tasks projection, and under the lease the relay of task and conflict events, the
 * agent inbox publisher, the dispatcher and the task timers.
 */
export async function startTasks(p: SchedulerParts, runner: TaskRunner, conflicts: ConflictsPart): Promise<TasksPart> {
  const { store, db } = p.host;
  const { clock, ids, logger, isLeader } = p;
  // The dispatcher hands its assignments to the inbox publisher, which then re-reads no stream.
  const prepared = new PreparedAssignments();
  const waiters = new AssignmentWaiters();
  let inbox: AgentInboxPublisher | undefined;
  const onAssigned = (a: AgentInboxAssignment, agentId: string, event: NewEvent | undefined): void => {
    prepared.add(a);
    // Committed: the inbox may carry it now rather than after the store's feed brings the event back.
    if (event) inbox?.publishNow(a, agentId, event);
  };
  // Created on the first pass: the tasks projection it reads the checkpoint of is built below.
  let dispatch: Dispatcher | undefined;
  const dispatcher = new WakeLoop(
    'dispatcher',
    () =>
      (dispatch ??= new Dispatcher({ db, store, handler: runner, projection, clock, ids, batchSize: p.config.dispatchBatchSize, isLeader, logger, conflicts: conflicts.guard, onAssigned, policy: { agingIntervalMs: p.config.agingIntervalMs } })).pass(),
    p.config.dispatchPollMs,
    logger,
  );
  let timersWritten = false;
  // A wake from outside the tasks this process creates and finishes: the queue or the agents may have changed.
  const wakeOnChange = (): void => {
    dispatch?.changed();
    dispatcher.wake();
  };
  const timers = new WakeLoop('timers', () => timerPass({ db, handler: runner, clock, ids, isLeader, wakeDispatcher: wakeOnChange, logger }), p.config.timerPollMs, logger);
  const projection = await p.host.startProjection({
    name: TASKS_PROJECTION,
    feed: p.feed,
    onApplied: (events) => {
      // Before the first pass every applied change wakes it; then the dispatcher tells what may let it do more.
      if (dispatch === undefined ? events.some((e) => e.type !== 'TaskProgressReported' && e.type !== 'TaskAccepted') : dispatch.shown(events)) dispatcher.wake();
      // Only a new timer can be due before the loop's next planned pass (a task without a time-out sets none).
      if (timersWritten) timers.wake();
      timersWritten = false;
    },
    // Task events, and conflict events for `scheduler.conflicts` (one subscription for both read models).
    filter: TASKS_AND_CONFLICTS_FILTER,
    minApplyIntervalMs: p.config.readModelIntervalMs ?? DEFAULT_READ_MODEL_INTERVAL_MS,
    applyBatch: withConflictEvents(taskProjection({ agingIntervalMs: p.config.agingIntervalMs }, () => (timersWritten = true))),
    // A page's writes go with its COMMIT: BEGIN, the checkpoint, the read of the rows it changes, then the rest.
    deferWrites: true,
    reset: async (trx) => {
      await resetTasks(trx);
      await resetConflicts(trx);
    },
    now: () => clock.now(),
    onError: (err) => logger.error(`tasks projection failed: ${(err as Error).message}`),
  });
  let relay: EventRelay | undefined;
  return {
    projection,
    wakeDispatcher: wakeOnChange,
    taskFinished: (f) => {
      if (dispatch === undefined) return;
      if (dispatch.finished(f.taskId, f.position)) dispatcher.wake();
    },
    taskSubmitted: (t) => {
      if (dispatch === undefined) return;
      dispatch.submitted(t);
      dispatcher.wake();
    },
    inFlight: () => dispatch?.inFlight ?? 0,
    counts: () => ({ passes: dispatch?.passes ?? 0, readModelWakes: dispatch?.readModelWakes ?? 0 }),
    passEnded: async () => dispatch?.passEnded(),
    waiters,
    assign: {
      reserve: (task) => dispatch?.reserve(task) ?? null,
      settle: (taskId, result) => dispatch?.settle(taskId, result),
    },
    lead: async () => {
      relay = await startRelay(p, 'relay-scheduler', TASKS_AND_CONFLICTS_FILTER);
      prepared.clear();
      inbox = new AgentInboxPublisher({ name: 'scheduler-agent-inbox', store, feed: p.feed, js: p.host.publisher, checkpoints: p.host.checkpoints,
        logger,
        prepared,
        waiters,
        ...(p.config.directConfirmMs === undefined ? {} : { directConfirmMs: p.config.directConfirmMs }),
      });
      await inbox.start();
      dispatch?.reset();
      dispatcher.start();
      timers.start();
    },
    stepDown: async () => {
      await Promise.allSettled([dispatcher.stop(), timers.stop(), relay?.stop(), inbox?.stop()]);
      // Asked again, the agents' requests may reach the new lease holder.
      waiters.releaseAll();
      relay = undefined;
      inbox = undefined;
    },
  };
}

/** Workflow definitions: the `workflow-<id>` runner and the parsed-definition cache. */
export function startWorkflowDefinitions(p: SchedulerParts): WorkflowDefinitions {
  return new WorkflowDefinitions(workflowRunner(p.host.store, { clock: p.clock, ids: p.ids, cacheSize: 1000 }));
}

/**
 * Registers every `*.yml` / `*.yaml` of `dir` (sorted by name). Idempotent by content hash, so a
 * restart registers nothing new; an invalid file or a version conflict stops start-up.
 */
export async function registerWorkflowsDir(definitions: WorkflowDefinitions, dir: string, logger: MessagingLogger): Promise<void> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/i.test(f)).sort();
  for (const file of files) {
    const yaml = await readFile(path.join(dir, file), 'utf8');
    const r = await definitions.register(yaml, file);
    logger.log(`workflow ${r.workflowId}@${r.version} from ${file}: ${r.created ? 'registered' : 'already registered'}`);
  }
}

export interface RunsPart extends LeaderWork {
  readonly service: RunService;
  /** Workflow definitions, runs and cron timers read model. */
  readonly projection: ProjectionRunner<SchedulerDatabase>;
  /** A task append committed here: a run's task that ended has its result recorded now (see recordTaskEndingNow). Lease holder only. */
  taskCommitted(recorded: readonly NewEvent[]): void;
  /** A task decision about to be appended: the run step its ending records, to commit with it (see recordTaskEndingAlongside). Lease holder only. */
  alongside(decided: Decided<TaskState, TaskEvent>): Promise<Alongside | undefined>;
}

/**
 * Runs: the `run-<id>` runner (decisions on the pinned definition, with the handoff catalog's
 * rules), the workflows projection, and under the lease the relay of workflow and run events,
 * the run process manager (with the conflict manager in the same subscription) and the run
 * timers (stage SLAs, cron).
 */
export async function startRuns(p: SchedulerParts, tasks: TaskRunner, definitions: WorkflowDefinitions, conflicts: ConflictsPart, assign?: AssignAtCreate): Promise<RunsPart> {
  const { store, db } = p.host;
  const { clock, logger, isLeader } = p;
  // The handoff catalog tells which specs apply to a stage task (checked by the handoff-validator on completion).
  const catalog = p.config.handoffsDir === undefined ? null : await loadHandoffCatalog(p.config.handoffsDir);
  const rules: RunRules = {
    ...(catalog === null
      ? {}
      : {
          handoffSpecsFor: (fromAgentId, toAgentIds, declared) => applicableSpecs(catalog, fromAgentId, toAgentIds, declared),
          handoffSlaFor: (toAgentId, fromAgentIds) => receivedHandoffSla(catalog, toAgentId, fromAgentIds),
        }),
    ...(p.config.maxRejections === undefined ? {} : { maxRejections: p.config.maxRejections }),
  };
  const environment = runEnvironment(definitions, rules);
  // A run append committed here that starts stages has their tasks created at once, not when the
  // store's feed brings the events to the run manager (whose pass then appends nothing).
  let managerLive = (): boolean => false;
  const createdAtCommit = new CreatedAtCommit();
  const runner = runRunner(store, environment, {
    clock,
    ids: p.ids,
    cacheSize: HOT_STREAMS,
    // A run append that starts stages takes their tasks along: one commit (see createTasksAlongside).
    alongside: async (decided) => {
      if (!mayStartTasks(decided.recorded) || !isLeader() || !managerLive()) return undefined;
      return createTasksAlongside({ tasks, assign, createdAtCommit }, decided.recorded);
    },
    onCommitted: (r) => {
      if (r.recorded === undefined || !mayStartTasks(r.recorded) || !isLeader() || !managerLive()) return;
      // Failures are the manager's pass's to retry: it creates the same tasks from the feed.
      createTasksOfCommitted({ tasks, assign, createdAtCommit }, r.recorded).catch((err: unknown) => logger.warn(`creating a stage's tasks at once failed (the run manager creates them): ${(err as Error).message}`));
    },
  });
  const actors = p.config.actorKeysFile === undefined ? TRUST_ENVELOPE_ACTOR : await GatewayActorAssertions.fromFile(p.config.actorKeysFile);
  const service = new RunService(definitions, runner, environment, store, db, actors);
  const runTimers = new WakeLoop('run-timers', () => runTimerPass({ db, runs: runner, runService: service, definitions, clock, isLeader, logger }), p.config.timerPollMs, logger);
  const projection = await p.host.startProjection({
    name: WORKFLOWS_PROJECTION,
    feed: p.feed,
    onApplied: onAppliedTypes((types) => {
      if (types.has('WorkflowVersionRegistered')) runTimers.wake();
    }),
    filter: WORKFLOWS_PROJECTION_FILTER,
    minApplyIntervalMs: p.config.readModelIntervalMs ?? DEFAULT_READ_MODEL_INTERVAL_MS,
    apply: workflowsProjection(() => clock.now()),
    // Most of a run's events change no row here: a batch of only those takes no transaction.
    inert: workflowsProjectionInert,
    deferWrites: true,
    reset: resetWorkflows,
    now: () => clock.now(),
    onError: (err) => logger.error(`workflows projection failed: ${(err as Error).message}`),
  });
  // The run process manager: run decisions → task commands, task outcomes → run commands. Lease holder only.
  // The timer loop is woken only when a pass wrote a run timer (a stage or run SLA), not for every stage.
  let runTimersWritten = false;
  const runApply = runManager({ runs: runner, tasks, assign, createdAtCommit, timerWritten: () => (runTimersWritten = true) });
  const managerInert = runManagerInert({ runs: runner, createdAtCommit });
  const manager = new ProjectionRunner<SchedulerDatabase>({
    name: RUN_MANAGER,
    schema: SCHEDULER_SCHEMA,
    db,
    store,
    feed: p.feed,
    onApplied: (events) => {
      if (runTimersWritten) runTimers.wake();
      runTimersWritten = false;
      // A stage start skipped as inert was not taken by the manager's pass: forget it now.
      for (const e of events) createdAtCommit.take(e.eventId);
    },
    // Also the conflict manager's events (one subscription for both process managers).
    filter: { categories: [...new Set([...RUN_MANAGER_FILTER.categories, ...CONFLICT_MANAGER_CATEGORIES])] },
    apply: async (trx, event) => {
      await runApply(trx, event);
      await conflicts.manager.apply(trx, event);
    },
    // A batch neither manager acts on (a plain task's lifecycle, a stage's bookkeeping) takes no transaction.
    inert: (event) => managerInert(event) && conflicts.manager.inert(event),
    // Its commands act outside the transaction: the checkpoint is moved (and locked) before they run; its timer writes go with COMMIT.
    deferWrites: 'after-checkpoint',
    // A stage's tasks and a run's task results are recorded at commit (onCommitted); this pass
    // catches up what that missed, so under load it may gather the commits of an interval.
    minApplyIntervalMs: p.config.readModelIntervalMs ?? DEFAULT_READ_MODEL_INTERVAL_MS,
    // Effects are idempotent by command id; a rebuild only recreates the SLA timers and the conflict links.
    reset: async (trx) => {
      await trx.deleteFrom('scheduler.run_timers').where('kind', 'in', ['stage-sla', 'run-sla']).execute();
      await resetConflictLinks(trx);
    },
    now: () => clock.now(),
    retryDelayMs: 250,
    onError: (err) => {
      // A failed batch was rolled back: reload the conflict manager's memory from the table.
      conflicts.manager.invalidate();
      logger.error(`run manager failed: ${(err as Error).message}`);
    },
  });
  managerLive = () => manager.isLive;
  let relay: EventRelay | undefined;
  return {
    service,
    projection,
    taskCommitted: (recorded) => {
      if (!isLeader() || !manager.isLive) return;
      for (const e of recorded) {
        if (!mayEndRunTask(e.type) || e.eventId === undefined) continue;
        // Failures are the manager's pass's to retry: it records the same result from the feed.
        recordTaskEndingNow({ runs: runner, tasks }, { ...e, eventId: e.eventId }).catch((err: unknown) =>
          logger.warn(`recording the end of a run's task at once failed (the run manager records it): ${(err as Error).message}`),
        );
      }
    },
    alongside: async (decided) => {
      if (!isLeader() || !manager.isLive) return undefined;
      const ended = decided.recorded.find((e) => mayEndRunTask(e.type) && e.eventId !== undefined);
      return ended === undefined ? undefined : recordTaskEndingAlongside({ runs: runner, tasks }, { ...ended, eventId: ended.eventId! });
    },
    lead: async () => {
      relay = await startRelay(p, 'relay-scheduler-runs', WORKFLOWS_PROJECTION_FILTER);
      conflicts.manager.invalidate();
      await manager.start();
      runTimers.start();
    },
    stepDown: async () => {
      await Promise.allSettled([runTimers.stop(), manager.stop(), relay?.stop()]);
      relay = undefined;
    },
  };
}
