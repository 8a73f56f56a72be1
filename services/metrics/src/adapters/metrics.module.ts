import { Module, type DynamicModule } from '@nestjs/common';
import { serviceRootModule, type ReadinessCheck } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { MetricsReport } from '../app/metrics.report';
import type { MetricsDatabase } from '../read-model/metrics.tables';
import { MetricsNatsController } from './metrics.nats-controller';
import { METRICS_REPORT, READ_DB } from './tokens';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface MetricsDeps {
  readonly db: Kysely<MetricsDatabase>;
  readonly report: MetricsReport;
  /** The orchestrator metrics, served on `/metrics` after the process metrics. */
  readonly registry: Registry;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly version: string;
}

/** The metrics service's Nest module: NATS queries, health endpoints and `/metrics`. */
@Module({})
export class MetricsServiceModule {
  static register(deps: MetricsDeps): DynamicModule {
    const ops = { service: 'metrics', version: deps.version, readinessChecks: deps.readinessChecks, registries: [deps.registry] };
    return serviceRootModule(MetricsServiceModule, ops, {
      controllers: [MetricsNatsController],
      providers: [
        { provide: READ_DB, useValue: deps.db },
        { provide: METRICS_REPORT, useValue: deps.report },
      ],
    });
  }
}
