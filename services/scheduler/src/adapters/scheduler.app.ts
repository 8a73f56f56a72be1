import { CloseStack } from '@baton/telemetry';
import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM, type RecordedEvent } from '@baton/contracts';
import { loadHandoffCatalog, type HandoffCatalog } from '@baton/handoff-rules';
import { openEventStore, type EventStore } from '@baton/event-store';
import {
  BatonClient,
  BatonRpcTransport,
  connectNats,
  consumeDurable,
  ensureEventStreams,
  EventRelay,
  PostgresCheckpointStore,
  PostgresInboxStore,
  type DurableConsumer,
  type ManagedNatsConnection,
  type MessagingLogger,
} from '@baton/messaging';
import { createKysely, migrateSchema, ProjectionRunner } from '@baton/read-models';
import type { ReadinessCheck } from '@baton/telemetry';
import { sql, type Kysely } from 'kysely';
import { Pool } from 'pg';
import type { Clock, IdSource } from '../app/ports';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RunCommandHandler } from '../app/run-command.handler';
import { RUN_MANAGER, RUN_MANAGER_FILTER, runManager } from '../app/run.manager';
import { RunService } from '../app/run.service';
import { TaskCommandHandler } from '../app/task-command.handler';
import { WorkflowDefinitions } from '../app/workflow-definitions';
import { resetWorkflows, WORKFLOWS_PROJECTION, WORKFLOWS_PROJECTION_FILTER, workflowsProjection } from '../app/workflows.projection';
import { resetTasks, taskProjection, TASKS_PROJECTION, TASKS_PROJECTION_FILTER } from '../app/task.projection';
import { DEFAULT_TASK_DEFAULTS, TaskService } from '../app/task.service';
import { AppModule } from '../app.module';
import type { SchedulerConfig } from '../config';
import type { QueuePolicy } from '../domain';
import { AgentInboxPublisher, ensureAgentInboxStream } from './agent-inbox.publisher';
import { applyAgentEvent } from './agent-events.consumer';
import { randomIds, systemClock } from './clock';
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

const silentLogger: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

export interface StartSchedulerOptions extends Omit<SchedulerConfig, 'httpHost'> {
  readonly httpHost?: string;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random UUIDs. */
  readonly ids?: IdSource;
  /** Nest logger; `false` silences it (tests). */
  readonly logger?: LoggerService | false;
  /** Reported by /metrics. Default 0.0.0. */
  readonly version?: string;
}

/** A running scheduler and the adapters it owns; `close()` stops everything in reverse order. */
export interface SchedulerApp {
  readonly app: INestApplication;
  readonly store: EventStore;
  readonly db: Kysely<SchedulerDatabase>;
  readonly projection: ProjectionRunner<SchedulerDatabase>;
  /** Workflow definitions, runs and cron timers read model. */
  readonly workflowsProjection: ProjectionRunner<SchedulerDatabase>;
  readonly runs: RunService;
  readonly nats: ManagedNatsConnection;
  readonly lease: PostgresLease;
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3101`. */
  readonly httpUrl: string;
  /** Runs a dispatch pass soon (tests; the service wakes itself on new tasks and completions). */
  wakeDispatcher(): void;
  close(): Promise<void>;
}

/**
 * The handoff specs that apply to a task of `fromAgentId`: the spec lists it in `from`, and
 * either names one of the next stages' agents in `to` or requires an artifact the stage
 * declares (seed 000's PM → Architect handoff carries the PRD although a research stage sits
 * between them).
 */
export function applicableSpecs(catalog: HandoffCatalog, fromAgentId: string, toAgentIds: readonly string[], declared: readonly string[] | null): string[] {
  const names = new Set((declared ?? []).map((n) => n.toLowerCase()));
  return catalog.specs
    .filter((spec) => spec.from.includes(fromAgentId))
    .filter((spec) => spec.to.some((t) => toAgentIds.includes(t)) || spec.artifacts.some((a) => names.has(a.name.toLowerCase())))
    .map((spec) => spec.id);
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
  const logger: MessagingLogger = options.logger === false ? silentLogger : (options.logger ?? new Logger('scheduler'));
  const nestLogger = options.logger === false ? false : (options.logger ?? undefined);
  const resources = new CloseStack('scheduler');
  const closeAll = (): Promise<void> => resources.closeAll();

  try {
    const pool = new Pool({ connectionString: options.databaseUrl, max: 20, application_name: 'scheduler' });
    pool.on('error', () => undefined);
    resources.defer(() => pool.end());

    const store = await openEventStore(options.eventStore ?? { kind: 'postgres' }, { pool });
    resources.defer(() => store.close());

    const db = createKysely<SchedulerDatabase>({ pool });
    resources.defer(() => db.destroy());
    await migrateSchema(db as Kysely<unknown>, { schema: SCHEDULER_SCHEMA, migrations: schedulerMigrations });
    const checkpoints = new PostgresCheckpointStore(pool, { table: `${SCHEDULER_SCHEMA}.relay_checkpoints` });
    await checkpoints.ensureSchema();
    const inbox = new PostgresInboxStore(pool, { table: `${SCHEDULER_SCHEMA}.consumer_inbox` });
    await inbox.ensureSchema();

    const handler = new TaskCommandHandler(store, clock, ids);
    const policy: QueuePolicy = { agingIntervalMs: options.agingIntervalMs };
    const isLeader = () => lease.isHeld();
    // Created on the first pass: the tasks projection it reads the checkpoint of is built below.
    let dispatch: Dispatcher | undefined;
    const dispatcher = new WakeLoop(
      'dispatcher',
      () => (dispatch ??= new Dispatcher({ db, handler, projection, clock, ids, batchSize: options.dispatchBatchSize, isLeader, logger })).pass(),
      options.dispatchPollMs,
      logger,
    );
    const timers = new WakeLoop(
      'timers',
      () => timerPass({ db, handler, clock, ids, isLeader, wakeDispatcher: () => dispatcher.wake(), logger }),
      options.timerPollMs,
      logger,
    );

    const projection = new ProjectionRunner<SchedulerDatabase>({
      name: TASKS_PROJECTION,
      schema: SCHEDULER_SCHEMA,
      db,
      store,
      onApplied: onAppliedTypes((types) => {
        if ([...types].some((t) => t !== 'TaskProgressReported' && t !== 'TaskAccepted')) dispatcher.wake();
        if (types.has('TaskAssigned') || types.has('TaskFailed')) timers.wake();
      }),
      filter: TASKS_PROJECTION_FILTER,
      apply: taskProjection(policy),
      reset: resetTasks,
      now: () => clock.now(),
      onError: (err) => logger.error(`tasks projection failed: ${(err as Error).message}`),
    });
    await projection.start();
    resources.defer(() => projection.stop());

    const definitions = new WorkflowDefinitions(store, clock, ids);
    // The handoff catalog tells which specs apply to a stage task (checked by the handoff-validator on completion).
    const catalog = options.handoffsDir === undefined ? null : await loadHandoffCatalog(options.handoffsDir);
    const runHandler = new RunCommandHandler(store, definitions, clock, ids, {
      ...(catalog === null ? {} : { handoffSpecsFor: (fromAgentId, toAgentIds, declared) => applicableSpecs(catalog, fromAgentId, toAgentIds, declared) }),
      ...(options.maxRejections === undefined ? {} : { maxRejections: options.maxRejections }),
    });
    const runService = new RunService(definitions, runHandler, db);
    const runTimers = new WakeLoop(
      'run-timers',
      () => runTimerPass({ db, runs: runHandler, runService, definitions, clock, isLeader, logger }),
      options.timerPollMs,
      logger,
    );
    const workflows = new ProjectionRunner<SchedulerDatabase>({
      name: WORKFLOWS_PROJECTION,
      schema: SCHEDULER_SCHEMA,
      db,
      store,
      onApplied: onAppliedTypes((types) => {
        if (types.has('WorkflowVersionRegistered')) runTimers.wake();
      }),
      filter: WORKFLOWS_PROJECTION_FILTER,
      apply: workflowsProjection(() => clock.now()),
      reset: resetWorkflows,
      now: () => clock.now(),
      onError: (err) => logger.error(`workflows projection failed: ${(err as Error).message}`),
    });
    await workflows.start();
    resources.defer(() => workflows.stop());
    // The run process manager: run decisions → task commands, task outcomes → run commands. Lease holder only.
    const manager = new ProjectionRunner<SchedulerDatabase>({
      name: RUN_MANAGER,
      schema: SCHEDULER_SCHEMA,
      db,
      store,
      onApplied: onAppliedTypes((types) => {
        if (types.has('StageStarted')) runTimers.wake();
      }),
      filter: RUN_MANAGER_FILTER,
      apply: runManager({ runs: runHandler, tasks: handler }),
      // Effects are idempotent by command id; a rebuild only recreates the SLA timers.
      reset: async (trx) => void (await trx.deleteFrom('scheduler.run_timers').where('kind', '=', 'stage-sla').execute()),
      now: () => clock.now(),
      retryDelayMs: 250,
      onError: (err) => logger.error(`run manager failed: ${(err as Error).message}`),
    });
    if (options.workflowsDir !== undefined) await registerWorkflowsDir(definitions, options.workflowsDir, logger);

    const nats = await connectNats({ url: options.natsUrl, name: 'scheduler', logger });
    resources.defer(() => nats.drain());
    const jsm = await jetstreamManager(nats.nc);
    const js = jetstream(nats.nc);
    await ensureEventStreams(jsm);
    await ensureAgentInboxStream(jsm);

    const holder = `scheduler-${ids.newId()}`;
    const lease: PostgresLease = new PostgresLease({
      db,
      name: 'dispatcher',
      holder,
      ttlMs: options.leaseTtlMs,
      logger,
      onAcquired: async () => {
        relay = new EventRelay({ name: 'relay-scheduler', store, js, checkpoints, filter: TASKS_PROJECTION_FILTER, now: () => clock.now().getTime(), logger });
        await relay.start();
        runRelay = new EventRelay({ name: 'relay-scheduler-runs', store, js, checkpoints, filter: WORKFLOWS_PROJECTION_FILTER, now: () => clock.now().getTime(), logger });
        await runRelay.start();
        inboxPublisher = new AgentInboxPublisher({ name: 'scheduler-agent-inbox', store, js, checkpoints, logger });
        await inboxPublisher.start();
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
    resources.defer(() => lease.stop());

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
    resources.defer(() => agentConsumer.stop());

    const tasks = new TaskService(handler, db, clock, DEFAULT_TASK_DEFAULTS, new NatsHandoffValidator(new BatonClient(nats.nc)));
    const readinessChecks: ReadinessCheck[] = [
      { name: 'nats', check: async () => void (await nats.nc.rtt()) },
      { name: 'postgres', check: async () => void (await sql`SELECT 1`.execute(db)) },
      {
        name: 'projection:workflows',
        check: () => {
          if (!workflows.isLive) throw new Error(`workflows projection is ${workflows.state}`);
        },
      },
      {
        name: 'projection:tasks',
        check: () => {
          if (!projection.isLive) throw new Error(`tasks projection is ${projection.state}`);
        },
      },
    ];
    const app = await NestFactory.create(AppModule.forRoot({ version: options.version ?? '0.0.0', readinessChecks, tasks, runs: runService }), {
      logger: nestLogger,
      abortOnError: false,
    });
    resources.defer(() => app.close());
    app.connectMicroservice<MicroserviceOptions>(
      { strategy: new BatonRpcTransport({ service: 'scheduler', connection: nats.nc, logger }) },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen(options.httpPort, options.httpHost ?? '0.0.0.0');
    const address = app.getHttpServer().address() as { port: number };
    const host = options.httpHost && options.httpHost !== '0.0.0.0' ? options.httpHost : '127.0.0.1';

    return {
      app,
      store,
      db,
      projection,
      workflowsProjection: workflows,
      runs: runService,
      nats,
      lease,
      httpUrl: `http://${host}:${address.port}`,
      wakeDispatcher: () => dispatcher.wake(),
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
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
