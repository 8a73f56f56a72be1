import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from './health/health.module';
import type { ReadinessCheck } from './health/readiness';
import type { Registry } from 'prom-client';
import { MetricsModule } from './metrics/metrics.module';

/** What {@link OpsEndpointsModule.forRoot} needs. */
export interface OpsEndpointsOptions {
  readonly service: string;
  readonly version: string;
  readonly readinessChecks: readonly ReadinessCheck[];
  /** Per-check timeout of `/health/ready` in ms (default 2000). */
  readonly readinessTimeoutMs?: number;
  /** The service's own prom-client registries, served on `/metrics` after the process registry. */
  readonly registries?: readonly Registry[];
}

/**
 * The operational endpoints every Baton service exposes: `/health/live`, `/health/ready`
 * and `/metrics` (prom-client, see {@link MetricsModule}). Import it once in a service's root module.
 *
 * @example
 * imports: [OpsEndpointsModule.forRoot({ service: 'scheduler', version, readinessChecks })]
 */
@Module({})
export class OpsEndpointsModule {
  static forRoot(options: OpsEndpointsOptions): DynamicModule {
    return {
      module: OpsEndpointsModule,
      imports: [
        HealthModule.forRoot({
          checks: options.readinessChecks,
          ...(options.readinessTimeoutMs === undefined ? {} : { timeoutMs: options.readinessTimeoutMs }),
        }),
        MetricsModule.forRoot({ service: options.service, version: options.version, ...(options.registries ? { registries: options.registries } : {}) }),
      ],
    };
  }
}
