import { CommandRunner } from '@baton/aggregate';
import { serviceLogger, startServiceHost, type DurableConsumer, type HostedServiceOptions, type MessagingLogger, type ProjectingService, type ConsumerStart } from '@baton/messaging';
import { inTransaction } from '@baton/event-store';
import type { Pool } from 'pg';
import { EscalationService } from '../app/escalation.service';
import { EscalationTimers } from '../app/escalation.timers';
import { applyInputEvent } from '../app/input-events.consumer';
import { INPUT_SUBJECTS } from '../app/input-events';
import type { AgentDirectory, EscalationCommands, StageDecisions, Transactor } from '../app/ports';
import type { EscalationConfig } from '../config';
import { DEFAULT_LADDER, escalationAggregate } from '../domain';
import { applyEscalationEvent, ESCALATIONS_FILTER, ESCALATIONS_PROJECTION, resetEscalations } from '../read-model/escalation.projection';
import { EscalationModule } from './escalation.module';
import { ESCALATION_SCHEMA, type EscalationDatabase } from '../read-model/escalation.tables';
import { escalationMigrations } from '../read-model/migrations';
import { RegistryAgentDirectory } from './registry.directory';
import { SchedulerStageDecisions } from './scheduler.decisions';

/** Durable JetStream consumer of the task, run, conflict and workflow events escalation watches. */
export const INPUTS_DURABLE = 'escalation-inputs';

export interface StartEscalationOptions
  extends Omit<EscalationConfig, 'ladder' | 'pollIntervalMs' | 'registryTimeoutMs' | 'schedulerTimeoutMs' | 'httpHost'>,
    HostedServiceOptions {
  /** Default {@link DEFAULT_LADDER}. */
  readonly ladder?: EscalationConfig['ladder'];
  /** How often due timers are looked for. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Default 2000 ms. */
  readonly registryTimeoutMs?: number;
  /** Default 5000 ms. */
  readonly schedulerTimeoutMs?: number;
  /** Default: the agent registry over NATS. */
  readonly directory?: AgentDirectory;
  /** Default: the scheduler over NATS. */
  readonly decisions?: StageDecisions;
  /**
   * The durable consumer of input events. Default `{ durable: INPUTS_DURABLE, deliverPolicy: 'all' }`;
   * tests sharing one NATS server give each app its own name and start at new events.
   */
  readonly inputs?: ConsumerStart;
}

/** A running escalation service and the adapters it owns; `close()` stops everything in reverse order. */
export interface EscalationApp extends ProjectingService<EscalationDatabase> {
  readonly pool: Pool;
  readonly commands: EscalationCommands;
  readonly escalations: EscalationService;
  /** The durable timer poller (raise, climb, resolve). */
  readonly timers: EscalationTimers;
  /** Consumer of the task, run, conflict and workflow events. */
  readonly inputs: DurableConsumer;
}

/**
 * Builds and starts the escalation service: Postgres event store, `baton_escalation`
 * migrations, the escalations projection (which arms climb timers), the NATS connection, the
 * relay of escalation events to JetStream, the durable consumer of task/run/conflict/workflow
 * events (watches and raise/resolve timers, with inbox dedupe), the timer poller, and the Nest
 * app with its NATS transport and HTTP health and metrics routes. `main.ts` calls it with the
 * environment's config; integration tests call it with a test database and a clock they move.
 * If a step fails, what was already started is closed before the error is rethrown.
 *
 * @example
 * const escalation = await startEscalation({ databaseUrl, natsUrl, httpPort: 0, logger: false });
 * await escalation.close();
 */
export async function startEscalation(options: StartEscalationOptions): Promise<EscalationApp> {
  const ladder = options.ladder ?? DEFAULT_LADDER;
  const service = { ...options, service: 'escalation', schema: ESCALATION_SCHEMA, migrations: escalationMigrations } as const;
  return startServiceHost<EscalationDatabase, EscalationApp>(service, async (host) => {
    const { pool, store, db, clock, ids } = host;
    const transaction: Transactor = (work) => inTransaction(pool, work);

    const projection = await host.startProjection({
      name: ESCALATIONS_PROJECTION,
      filter: ESCALATIONS_FILTER,
      apply: applyEscalationEvent,
      deferWrites: true,
      reset: resetEscalations,
    });

    const log: MessagingLogger = serviceLogger('escalation', options.logger);
    const nats = await host.connectNats(options.natsUrl);
    const relay = await host.startRelay({ name: 'relay-escalation', filter: ESCALATIONS_FILTER });

    const commands: EscalationCommands = new CommandRunner(store, escalationAggregate, { clock, ids });
    const directory = options.directory ?? new RegistryAgentDirectory(nats.nc, log, options.registryTimeoutMs ?? 2000);
    const decisions = options.decisions ?? new SchedulerStageDecisions(nats.nc, options.schedulerTimeoutMs ?? 5000);
    const escalations = new EscalationService(commands, directory, decisions, transaction, ladder, clock);

    // The watches and timers commit with the inbox row: a redelivered event changes nothing.
    const inputs = await host.consumeEvents({
      durable: options.inputs?.durable ?? INPUTS_DURABLE,
      filterSubjects: INPUT_SUBJECTS,
      deliverPolicy: options.inputs?.deliverPolicy ?? 'all',
      applyOnce: (client, event) => applyInputEvent(client, event, { ladder, logger: log }),
    });

    const timers = new EscalationTimers(transaction, commands, directory, clock, { pollIntervalMs: options.pollIntervalMs, logger: log });
    timers.start();
    host.defer(() => timers.stop());

    const readinessChecks = host.readinessChecks({ projections: { escalations: projection }, relay });
    const { app, httpUrl } = await host.listen(
      EscalationModule.register({ db, readinessChecks, escalations, version: options.version ?? '0.0.0' }),
      options,
    );
    return { app, store, pool, db, projection, nats, relay, commands, escalations, timers, inputs, httpUrl, close: () => host.close() };
  });
}
