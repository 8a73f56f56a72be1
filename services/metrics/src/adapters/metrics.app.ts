import { CommandRunner } from '@baton/aggregate';
import { serviceLogger, startServiceHost, type HostedServiceOptions, type ProjectingService } from '@baton/messaging';
import type { Registry } from 'prom-client';
import { BudgetWatcher } from '../app/budget.watcher';
import { HealthChecker } from '../app/health.checker';
import { MetricsReport } from '../app/metrics.report';
import type { CheckContext } from '../app/periodic-check';
import type { BudgetCommands, Escalations, HealthCommands, RunControl } from '../app/ports';
import { orchestratorRegistry } from '../app/prometheus.metrics';
import type { MetricsConfig } from '../config';
import { budgetAggregate, DEFAULT_HEALTH_RULES, healthAggregate } from '../domain';
import { applyMetricsEvent, METRICS_FILTER, METRICS_PROJECTION, resetMetrics } from '../read-model/metrics.projection';
import { METRICS_SCHEMA, type MetricsDatabase } from '../read-model/metrics.tables';
import { metricsMigrations } from '../read-model/migrations';
import { DEFAULT_TARGETS } from '../app/metrics.settings';
import { NatsEscalations } from './escalation.client';
import { NatsRunControl } from './scheduler.client';
import { MetricsServiceModule } from './metrics.module';

export interface StartMetricsOptions
  extends Pick<MetricsConfig, 'databaseUrl' | 'natsUrl' | 'httpPort' | 'eventStore'>,
    Partial<Pick<MetricsConfig, 'healthIntervalMs' | 'healthWindowMs' | 'healthRules' | 'targets' | 'prices' | 'escalationTimeoutMs' | 'budgetIntervalMs'>>,
    HostedServiceOptions {
  /** Default: the escalation service over NATS. */
  readonly escalations?: Escalations;
  /** Default: the scheduler over NATS. */
  readonly runs?: RunControl;
}

/** A running metrics service and the adapters it owns; `close()` stops everything in reverse order. */
export interface MetricsApp extends ProjectingService<MetricsDatabase> {
  readonly report: MetricsReport;
  readonly health: HealthChecker;
  readonly commands: HealthCommands;
  /** Watches token budgets and applies their policies. */
  readonly budgets: BudgetWatcher;
  /** The orchestrator metrics served on /metrics. */
  readonly registry: Registry;
}

/**
 * Builds and starts the metrics service: Postgres event store, `baton_metrics` migrations, the
 * metrics projection (run, task, agent and health events of the store, rebuildable), the NATS
 * connection, the relay of health and budget events to JetStream, the health checker, the budget
 * watcher, and the Nest app with
 * its NATS queries and HTTP health and metrics routes. If a step fails, what was already started
 * is closed before the error is rethrown.
 *
 * @example
 * const metrics = await startMetrics({ databaseUrl, natsUrl, httpPort: 0, logger: false });
 * await metrics.close();
 */
export async function startMetrics(options: StartMetricsOptions): Promise<MetricsApp> {
  const service = { ...options, service: 'metrics', schema: METRICS_SCHEMA, migrations: metricsMigrations } as const;
  return startServiceHost<MetricsDatabase, MetricsApp>(service, async (host) => {
    const { store, db, clock, ids } = host;
    const projection = await host.startProjection({ name: METRICS_PROJECTION, filter: METRICS_FILTER, apply: applyMetricsEvent, reset: resetMetrics, deferWrites: true });
    const nats = await host.connectNats(options.natsUrl);
    const relay = await host.startRelay({ name: 'relay-metrics', filter: { categories: ['health', 'budget'] } });

    const prices = options.prices ?? {};
    const report = new MetricsReport(db, { targets: options.targets ?? DEFAULT_TARGETS, prices, now: () => clock.now() });
    const registry = orchestratorRegistry(db, prices);
    const commands: HealthCommands = new CommandRunner(store, healthAggregate, { clock, ids });
    const escalations = options.escalations ?? new NatsEscalations(nats.nc, options.escalationTimeoutMs ?? 5000);
    const checks: CheckContext = {
      db,
      escalations,
      clock,
      logger: serviceLogger('metrics', options.logger),
      caughtUp: (until) => projection.waitUntilCaughtUp(until ? { until } : {}),
    };
    const health = new HealthChecker(checks, commands, {
      intervalMs: options.healthIntervalMs ?? 60_000,
      windowMs: options.healthWindowMs ?? 300_000,
      rules: options.healthRules ?? DEFAULT_HEALTH_RULES,
    });
    health.start();
    host.defer(() => health.stop());
    const budgetCommands: BudgetCommands = new CommandRunner(store, budgetAggregate, { clock, ids });
    const runs = options.runs ?? new NatsRunControl(nats.nc, options.escalationTimeoutMs ?? 5000);
    const budgets = new BudgetWatcher(checks, budgetCommands, runs, options.budgetIntervalMs ?? 5000);
    budgets.start();
    host.defer(() => budgets.stop());

    const readinessChecks = host.readinessChecks({ projections: { metrics: projection }, relay });
    const { app, httpUrl } = await host.listen(
      MetricsServiceModule.register({ db, report, registry, readinessChecks, version: options.version ?? '0.0.0' }),
      options,
    );
    return { app, store, db, nats, projection, relay, report, health, commands, budgets, registry, httpUrl, close: () => host.close() };
  });
}
