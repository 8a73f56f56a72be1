import { Logger } from '@nestjs/common';
import { randomIds, systemClock, type Clock, type IdSource } from '@baton/aggregate';
import { SharedSubscriptions } from '@baton/event-store';
import {
  BatonClient,
  natsReadiness,
  silentMessagingLogger,
  startServiceHost,
  type HostedService,
  type HostedServiceOptions,
  type MessagingLogger,
  type ServiceHost,
} from '@baton/messaging';
import { postgresReadiness, projectionReadiness, type ProjectionRunner } from '@baton/read-models';
import type { ConflictService } from '../app/conflict.service';
import type { RunService } from '../app/run.service';
import { taskRunner } from '../app/runners';
import { TaskReassigner } from '../app/task-reassigner';
import { DEFAULT_TASK_DEFAULTS, TaskService, taskSignalsOf } from '../app/task.service';
import { AppModule } from '../app.module';
import type { SchedulerConfig } from '../config';
import { applyAgentEvent } from '../read-model/agents.projection';
import { schedulerMigrations } from '../read-model/migrations';
import { SCHEDULER_SCHEMA, type SchedulerDatabase } from '../read-model/scheduler.tables';
import { ensureAgentInboxStream } from './agent-inbox.publisher';
import type { DispatcherCounts } from './dispatcher';
import { NatsHandoffValidator } from './handoff-validator.client';
import { PostgresLease } from './postgres-lease';
import { HOT_STREAMS, registerWorkflowsDir, startConflicts, startRuns, startTasks, startWorkflowDefinitions, type LeaderWork, type SchedulerParts } from './scheduler.parts';

/** Every agent-registry event: `baton.evt.agent.<event>`. */
const AGENT_EVENTS_SUBJECT = 'baton.evt.agent.>';

export interface StartSchedulerOptions extends Omit<SchedulerConfig, 'httpHost'>, HostedServiceOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random UUIDs. */
  readonly ids?: IdSource;
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
  /** Tasks the dispatcher changed and remembers until the tasks read model shows them (tests: it must not grow). */
  dispatcherInFlight(): number;
  /** Dispatcher passes run so far, and the read model's pages that asked for one (tests: tasks created assigned need none). */
  dispatcherCounts(): DispatcherCounts;
  /** Resolves once the dispatcher pass under way, if any, has ended (a pass lets go at its end of what the read model showed during it). */
  dispatcherPassEnded(): Promise<void>;
  /** Requests of agents waiting for their next assignment (`await-assignment`) held now. */
  assignmentWaiters(): number;
}

/**
 * Builds and starts the scheduler: Postgres event store and `scheduler` migrations, then its
 * parts (see scheduler.parts.ts), each with its own runners, projections and timers: tasks,
 * conflicts, workflow definitions and runs; the agents read model fed from `baton.evt.agent.*`
 * (durable consumer with inbox dedupe); the NATS transport for `baton.cmd.scheduler.*` /
 * `baton.qry.scheduler.*`; and the `dispatcher` lease, under which the parts relay their events
 * and run their process managers, dispatcher and timers. `main.ts` calls it with the
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
  return startServiceHost<SchedulerDatabase, SchedulerApp>(
    { service: 'scheduler', databaseUrl: options.databaseUrl, eventStore: options.eventStore, schema: SCHEDULER_SCHEMA, migrations: schedulerMigrations, logger: options.logger, messagingLogger: logger },
    async (host) => {
      const { store, db } = host;
      const isLeader = () => lease.isHeld();
      // One read of the store's new events for all the scheduler's subscriptions (projections, relays, process managers).
      const feed = new SharedSubscriptions(store);
      host.defer(() => feed.close());
      const parts: SchedulerParts = { host, config: options, clock, ids, logger, isLeader, feed };

      // Every committed task append (a submit, a run's stage, an agent's report) reaches the
      // dispatcher in process, before the tasks read model shows it.
      let tasksPart: Awaited<ReturnType<typeof startTasks>> | undefined = undefined;
      let runsPart: Awaited<ReturnType<typeof startRuns>> | undefined = undefined;
      const taskCommands = taskRunner(store, {
        clock,
        ids,
        cacheSize: HOT_STREAMS,
        onCommitted: (r) => {
          const { submitted, finished } = taskSignalsOf(r);
          if (submitted) tasksPart?.taskSubmitted(submitted);
          if (finished) tasksPart?.taskFinished(finished);
          if (r.recorded) runsPart?.taskCommitted(r.recorded);
        },
        // A run's task that ends commits with the run step it records (one commit per stage, not two).
        alongside: (decided) => runsPart?.alongside(decided) ?? Promise.resolve(undefined),
      });
      const reassigner = new TaskReassigner(taskCommands, store, db, clock);
      const conflicts = startConflicts(parts, taskCommands, reassigner);
      const tasks = await startTasks(parts, taskCommands, conflicts);
      tasksPart = tasks;
      const definitions = startWorkflowDefinitions(parts);
      const runs = await startRuns(parts, taskCommands, definitions, conflicts, tasks.assign);
      runsPart = runs;
      if (options.workflowsDir !== undefined) await registerWorkflowsDir(definitions, options.workflowsDir, logger);

      const nats = await host.connectNats(options.natsUrl);
      await ensureAgentInboxStream(host.jsm);
      const lease: PostgresLease = leaderLease(host, options, `scheduler-${ids.newId()}`, logger, [tasks, runs]);
      await lease.start();
      host.defer(() => lease.stop());
      await consumeAgentEvents(host, options, logger, () => tasks.wakeDispatcher());

      const taskService = new TaskService(taskCommands, db, clock, {
        defaults: DEFAULT_TASK_DEFAULTS,
        validator: new NatsHandoffValidator(new BatonClient(nats.nc)),
        conflicts: conflicts.service,
        holds: conflicts.guard,
        reassigner,
        assign: tasks.assign,
      });
      const readinessChecks = [natsReadiness(nats.nc), postgresReadiness(db), projectionReadiness('workflows', runs.projection), projectionReadiness('tasks', tasks.projection)];
      const { app, httpUrl } = await host.listen(
        AppModule.forRoot({ version: options.version ?? '0.0.0', readinessChecks, tasks: taskService, runs: runs.service, conflicts: conflicts.service, inboxes: host.jsm, waiters: tasks.waiters }),
        { httpPort: options.httpPort, httpHost: options.httpHost },
      );

      return {
        app,
        store,
        db,
        projection: tasks.projection,
        workflowsProjection: runs.projection,
        runs: runs.service,
        conflicts: conflicts.service,
        nats,
        lease,
        httpUrl,
        wakeDispatcher: () => tasks.wakeDispatcher(),
        dispatcherInFlight: () => tasks.inFlight(),
        dispatcherCounts: () => tasks.counts(),
        dispatcherPassEnded: () => tasks.passEnded(),
        assignmentWaiters: () => tasks.waiters.waiting,
        close: () => host.close(),
      };
    },
  );
}

/** The `dispatcher` lease: while held, every part does its leader work (relays, process managers, dispatcher, timers). */
function leaderLease(host: ServiceHost<SchedulerDatabase>, options: StartSchedulerOptions, holder: string, logger: MessagingLogger, work: readonly LeaderWork[]): PostgresLease {
  return new PostgresLease({
    db: host.db,
    name: 'dispatcher',
    holder,
    ttlMs: options.leaseTtlMs,
    logger,
    onAcquired: async () => {
      for (const w of work) await w.lead();
    },
    onLost: async () => {
      await Promise.allSettled(work.map((w) => w.stepDown()));
    },
  });
}

/** The agents read model, fed from the agent-registry's events (durable consumer, inbox dedupe); a change wakes the dispatcher. */
async function consumeAgentEvents(host: ServiceHost<SchedulerDatabase>, options: StartSchedulerOptions, logger: MessagingLogger, wake: () => void): Promise<void> {
  await host.consumeEvents({
    durable: `${options.consumerName}-agents`,
    filterSubject: AGENT_EVENTS_SUBJECT,
    deliverPolicy: options.agentEventsFrom,
    backoffMs: [200, 1000, 5000],
    logger,
    handler: async (event) => {
      if (await applyAgentEvent(host.db, event)) wake();
    },
  });
}
