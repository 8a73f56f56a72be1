import { Logger } from '@nestjs/common';
import { EVENTS_STREAM, type RecordedEvent } from '@baton/contracts';
import { loadHandoffCatalog } from '@baton/handoff-rules';
import {
  BatonClient,
  consumeDurable,
  EventRelay,
  natsReadiness,
  silentMessagingLogger,
  startServiceHost,
  type DurableConsumer,
  type HostedService,
  type HostedServiceOptions,
  type MessagingLogger,
  type ServiceHostOptions,
} from '@baton/messaging';
import { postgresReadiness, projectionReadiness, ProjectionRunner } from '@baton/read-models';
import type { Clock, IdSource } from '../app/ports';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { applicableSpecs, receivedHandoffSla } from '../app/handoff-specs';
import { ConflictCommandHandler } from '../app/conflict-command.handler';
import { CONFLICT_MANAGER_CATEGORIES, conflictManager, resetConflictLinks } from '../app/conflict.manager';
import { resetConflicts, TASKS_AND_CONFLICTS_FILTER, withConflictEvents } from '../app/conflict.projection';
import { ConflictService } from '../app/conflict.service';
import { RunCommandHandler } from '../app/run-command.handler';
import { RUN_MANAGER, RUN_MANAGER_FILTER, runManager } from '../app/run.manager';
import { RunService } from '../app/run.service';
import { TaskCommandHandler } from '../app/task-command.handler';
import { WorkflowDefinitions } from '../app/workflow-definitions';
import { resetWorkflows, WORKFLOWS_PROJECTION, WORKFLOWS_PROJECTION_FILTER, workflowsProjection } from '../app/workflows.projection';
import { resetTasks, taskProjection, TASKS_PROJECTION } from '../app/task.projection';
import { DEFAULT_TASK_DEFAULTS, TaskService } from '../app/task.service';
import { TaskReassigner } from '../app/task-reassigner';
import { AppModule } from '../app.module';
import type { SchedulerConfig } from '../config';
import type { QueuePolicy } from '../domain';
import { AgentInboxPublisher, ensureAgentInboxStream } from './agent-inbox.publisher';
import { applyAgentEvent } from './agent-events.consumer';
import { randomIds, systemClock } from './clock';
import { ConflictGuard } from './conflict.guard';
import { withConflictTables } from './conflict.tables';
import { Dispatcher } from './dispatcher';
import { NatsHandoffValidator } from './handoff-validator.client';
import { schedulerMigrations } from './migrations';
import { PostgresLease } from './postgres-lease';
import { SCHEDULER_SCHEMA, type SchedulerDatabase } from './scheduler.tables';
import { runTimerPass } from './run-timer-poller';
import { timerPass } from './timer-poller';
import { WakeLoop } from './wake-loop';

/** Every agent-registry event: `baton.evt.agent.<event>`. */
const AGENT_EVENTS_SUBJECT = 'baton.evt.agent.>';

export interface StartSchedulerOptions extends Omit<SchedulerConfig, 'httpHost'>, HostedServiceOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Reported by /metrics. Default 0.0.0. */
  readonly version?: string;
}

/** A running scheduler and the adapters it owns; `close()` stops everything in reverse order. */
export interface SchedulerApp extends HostedService<SchedulerDatabase> {
  readonly projection: ProjectionRunner<SchedulerDatabase>;
  /** Workflow definitions, runs and cron timers read model. */
  readonly workflowsProjection: ProjectionRunner<SchedulerDatabase>;
  readonly runs: RunService;
  /** The conflict use cases (the `scheduler.conflicts` read model is kept by `projection`). */
  readonly conflicts: ConflictService;
  readonly lease: PostgresLease;
  /** Runs a dispatch pass soon (tests; the service wakes itself on new tasks and completions). */
  wakeDispatcher(): void;
}

/** Calls `after` with the type of each event in a committed projection batch (a set per batch, so one wake each). */
function onAppliedTypes(after: (types: ReadonlySet<string>) => void): (events: readonly RecordedEvent[]) => void {
  return (events) => after(new Set(events.map((e) => e.type)));
}

/**
 * Builds and starts the scheduler's task engine: Postgres event store, `scheduler` migrations,
 * the tasks projection (queue + durable timers), the agents read model fed from
 * `baton.evt.agent.*` (durable consumer with inbox dedupe), the NATS transport for
 * `baton.cmd.scheduler.*`/`baton.qry.scheduler.*`, and, while this replica holds the
 * `dispatcher` lease: the relay of task events to `baton.evt.task.*`, the agent inbox publisher
 * (`baton.agent.<id>.inbox`), the dispatcher and the timer poller. `main.ts` calls it with the
 * environment's config; integration tests with a test database. If a step fails, what was
 * already started is closed before the error is rethrown.
 *
 * @example
 * const scheduler = await startScheduler({ ...readSchedulerConfig(), logger: false });
 * await scheduler.close();
 */
export async function startScheduler(options: StartSchedulerOptions): Promise<SchedulerApp> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const logger: MessagingLogger = options.logger === false ? silentMessagingLogger : (options.logger ?? new Logger('scheduler'));
  const hostOptions: ServiceHostOptions = {
    service: 'scheduler',
    databaseUrl: options.databaseUrl,
    eventStore: options.eventStore,
    schema: SCHEDULER_SCHEMA,
    migrations: schedulerMigrations,
    logger: options.logger,
    messagingLogger: logger,
  };
  return startServiceHost<SchedulerDatabase, SchedulerApp>(hostOptions, async (host) => {
    const { store, db, checkpoints } = host;
    const inbox = await host.openInbox();

    const handler = new TaskCommandHandler(store, clock, ids);
    const policy: QueuePolicy = { agingIntervalMs: options.agingIntervalMs };
    const isLeader = () => lease.isHeld();
    const conflictHandler = new ConflictCommandHandler(store, clock, ids);
    const conflictDb = withConflictTables(db);
    const conflictGuard = new ConflictGuard({ db, conflicts: conflictHandler, isLeader, logger });
    const conflictsManager = conflictManager({ conflicts: conflictHandler, tasks: handler });
    // Created on the first pass: the tasks projection it reads the checkpoint of is built below.
    let dispatch: Dispatcher | undefined;
    const dispatcher = new WakeLoop(
      'dispatcher',
      () => (dispatch ??= new Dispatcher({ db, handler, projection, clock, ids, batchSize: options.dispatchBatchSize, isLeader, logger, conflicts: conflictGuard })).pass(),
      options.dispatchPollMs,
      logger,
    );
    const timers = new WakeLoop(
      'timers',
      () => timerPass({ db, handler, clock, ids, isLeader, wakeDispatcher: () => dispatcher.wake(), logger }),
      options.timerPollMs,
      logger,
    );

    const projection = await host.startProjection({
      name: TASKS_PROJECTION,
      onApplied: onAppliedTypes((types) => {
        if ([...types].some((t) => t !== 'TaskProgressReported' && t !== 'TaskAccepted')) dispatcher.wake();
        if (types.has('TaskAssigned') || types.has('TaskFailed')) timers.wake();
      }),
      // Task events, and conflict events for `scheduler.conflicts` (one subscription for both read models).
      filter: TASKS_AND_CONFLICTS_FILTER,
      apply: withConflictEvents(taskProjection(policy)),
      reset: async (trx) => {
        await resetTasks(trx);
        await resetConflicts(trx);
      },
      now: () => clock.now(),
      onError: (err) => logger.error(`tasks projection failed: ${(err as Error).message}`),
    });

    const definitions = new WorkflowDefinitions(store, clock, ids);
    // The handoff catalog tells which specs apply to a stage task (checked by the handoff-validator on completion).
    const catalog = options.handoffsDir === undefined ? null : await loadHandoffCatalog(options.handoffsDir);
    const runHandler = new RunCommandHandler(store, definitions, clock, ids, {
      ...(catalog === null
        ? {}
        : {
            handoffSpecsFor: (fromAgentId, toAgentIds, declared) => applicableSpecs(catalog, fromAgentId, toAgentIds, declared),
            handoffSlaFor: (toAgentId, fromAgentIds) => receivedHandoffSla(catalog, toAgentId, fromAgentIds),
          }),
      ...(options.maxRejections === undefined ? {} : { maxRejections: options.maxRejections }),
    });
    const runService = new RunService(definitions, runHandler, db);
    const runTimers = new WakeLoop(
      'run-timers',
      () => runTimerPass({ db, runs: runHandler, runService, definitions, clock, isLeader, logger }),
      options.timerPollMs,
      logger,
    );
    const workflows = await host.startProjection({
      name: WORKFLOWS_PROJECTION,
      onApplied: onAppliedTypes((types) => {
        if (types.has('WorkflowVersionRegistered')) runTimers.wake();
      }),
      filter: WORKFLOWS_PROJECTION_FILTER,
      apply: workflowsProjection(() => clock.now()),
      reset: resetWorkflows,
      now: () => clock.now(),
      onError: (err) => logger.error(`workflows projection failed: ${(err as Error).message}`),
    });
    // The run process manager: run decisions → task commands, task outcomes → run commands. Lease holder only.
    const runApply = runManager({ runs: runHandler, tasks: handler });
    const manager = new ProjectionRunner<SchedulerDatabase>({
      name: RUN_MANAGER,
      schema: SCHEDULER_SCHEMA,
      db,
      store,
      onApplied: onAppliedTypes((types) => {
        if (types.has('StageStarted')) runTimers.wake();
      }),
      // Also the conflict manager's events (one subscription for both process managers).
      filter: { categories: [...new Set([...RUN_MANAGER_FILTER.categories, ...CONFLICT_MANAGER_CATEGORIES])] },
      apply: async (trx, event) => {
        await runApply(trx, event);
        await conflictsManager.apply(trx, event);
      },
      // Effects are idempotent by command id; a rebuild only recreates the SLA timers and the conflict links.
      reset: async (trx) => {
        await trx.deleteFrom('scheduler.run_timers').where('kind', '=', 'stage-sla').execute();
        await resetConflictLinks(trx);
      },
      now: () => clock.now(),
      retryDelayMs: 250,
      onError: (err) => {
        // A failed batch was rolled back: reload the conflict manager's memory from the table.
        conflictsManager.invalidate();
        logger.error(`run manager failed: ${(err as Error).message}`);
      },
    });
    if (options.workflowsDir !== undefined) await registerWorkflowsDir(definitions, options.workflowsDir, logger);

    const nats = await host.connectNats(options.natsUrl);
    const { js, jsm } = host;
    await ensureAgentInboxStream(jsm);

    const holder = `scheduler-${ids.newId()}`;
    const lease: PostgresLease = new PostgresLease({
      db,
      name: 'dispatcher',
      holder,
      ttlMs: options.leaseTtlMs,
      logger,
      onAcquired: async () => {
        relay = new EventRelay({ name: 'relay-scheduler', store, js, checkpoints, filter: TASKS_AND_CONFLICTS_FILTER, now: () => clock.now().getTime(), logger });
        await relay.start();
        runRelay = new EventRelay({ name: 'relay-scheduler-runs', store, js, checkpoints, filter: WORKFLOWS_PROJECTION_FILTER, now: () => clock.now().getTime(), logger });
        await runRelay.start();
        inboxPublisher = new AgentInboxPublisher({ name: 'scheduler-agent-inbox', store, js, checkpoints, logger });
        await inboxPublisher.start();
        conflictsManager.invalidate();
        await manager.start();
        dispatch?.reset();
        dispatcher.start();
        timers.start();
        runTimers.start();
      },
      onLost: async () => {
        await Promise.allSettled([dispatcher.stop(), timers.stop(), runTimers.stop(), manager.stop(), relay?.stop(), runRelay?.stop(), inboxPublisher?.stop()]);
        relay = undefined;
        runRelay = undefined;
        inboxPublisher = undefined;
      },
    });
    let relay: EventRelay | undefined;
    let runRelay: EventRelay | undefined;
    let inboxPublisher: AgentInboxPublisher | undefined;
    await lease.start();
    host.defer(() => lease.stop());

    const agentConsumer: DurableConsumer = await consumeDurable({
      js,
      jsm,
      stream: EVENTS_STREAM,
      durable: `${options.consumerName}-agents`,
      filterSubject: AGENT_EVENTS_SUBJECT,
      inbox,
      deliverPolicy: options.agentEventsFrom,
      backoffMs: [200, 1000, 5000],
      logger,
      handler: async (event) => {
        const change = await applyAgentEvent(db, event);
        if (change) dispatcher.wake();
      },
    });
    host.defer(() => agentConsumer.stop());

    const conflicts = new ConflictService(conflictHandler, handler, conflictDb, clock);
    const tasks = new TaskService(handler, db, clock, {
      defaults: DEFAULT_TASK_DEFAULTS,
      validator: new NatsHandoffValidator(new BatonClient(nats.nc)),
      conflicts,
      holds: conflictGuard,
      reassigner: new TaskReassigner(handler, db, clock),
    });
    const readinessChecks = [natsReadiness(nats.nc), postgresReadiness(db), projectionReadiness('workflows', workflows), projectionReadiness('tasks', projection)];
    const { app, httpUrl } = await host.listen(
      AppModule.forRoot({ version: options.version ?? '0.0.0', readinessChecks, tasks, runs: runService, conflicts }),
      { httpPort: options.httpPort, httpHost: options.httpHost },
    );

    return {
      app,
      store,
      db,
      projection,
      workflowsProjection: workflows,
      runs: runService,
      conflicts,
      nats,
      lease,
      httpUrl,
      wakeDispatcher: () => dispatcher.wake(),
      close: () => host.close(),
    };
  });
}

/**
 * Registers every `*.yml` / `*.yaml` of `dir` (sorted by name). Idempotent by content hash, so a
 * restart registers nothing new; an invalid file or a version conflict stops start-up.
 */
async function registerWorkflowsDir(definitions: WorkflowDefinitions, dir: string, logger: MessagingLogger): Promise<void> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/i.test(f)).sort();
  for (const file of files) {
    const r = await definitions.register(await readFile(path.join(dir, file), 'utf8'), file);
    logger.log(`workflow ${r.workflowId}@${r.version} from ${file}: ${r.created ? 'registered' : 'already registered'}`);
  }
}
