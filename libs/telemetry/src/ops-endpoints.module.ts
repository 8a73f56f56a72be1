import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from './health/health.module';
import type { ReadinessCheck } from './health/readiness';
import { ProcessMetricsModule } from './metrics/process-metrics.module';

/** What {@link OpsEndpointsModule.forRoot} needs. */
export interface OpsEndpointsOptions {
  readonly service: string;
  readonly version: string;
  readonly readinessChecks: readonly ReadinessCheck[];
  /** Per-check timeout of `/health/ready` in ms (default 2000). */
  readonly readinessTimeoutMs?: number;
}

/**
 * The operational endpoints every Baton service exposes: `/health/live`, `/health/ready`
 * and `/metrics`. Import it once in a service's root module.
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
        ProcessMetricsModule.forRoot({ service: options.service, version: options.version }),
      ],
    };
  }
}
