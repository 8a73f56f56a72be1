import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
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

/** A service's own part of its root module: see {@link serviceRootModule}. */
export interface ServiceModuleParts {
  /** The service's controllers (NATS handlers, extra HTTP routes). */
  readonly controllers?: readonly Type[];
  /** What the controllers inject (the adapters the composition root built). */
  readonly providers?: readonly Provider[];
}

/**
 * The root module of a service: its controllers and the providers they inject, with the
 * operational endpoints of {@link OpsEndpointsModule} imported. Call it from the root module's
 * static `register`/`forRoot`.
 *
 * @example
 * static register(deps: NotifierDeps): DynamicModule {
 *   return serviceRootModule(NotifierModule, { service: 'notifier', version: deps.version, readinessChecks: deps.readinessChecks }, {
 *     controllers: [NotifierNatsController],
 *     providers: [{ provide: NOTIFICATION_SERVICE, useValue: deps.notifications }],
 *   });
 * }
 */
export function serviceRootModule(module: Type, ops: OpsEndpointsOptions, parts: ServiceModuleParts = {}): DynamicModule {
  return {
    module,
    imports: [OpsEndpointsModule.forRoot(ops)],
    controllers: [...(parts.controllers ?? [])],
    providers: [...(parts.providers ?? [])],
  };
}
