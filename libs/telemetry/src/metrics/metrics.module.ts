import { Module, type DynamicModule } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRIES, MetricsController } from './metrics.controller';
import { registerServiceInfo, type ServiceInfo } from './metrics-registry';

/** What {@link MetricsModule.forRoot} needs. */
export interface MetricsModuleOptions extends ServiceInfo {
  /** The service's own registries, served after the process registry (default none). */
  readonly registries?: readonly Registry[];
}

/**
 * Adds `GET /metrics` (prom-client: the process registry with default metrics and
 * `baton_service_info`, then the service's own registries). `OpsEndpointsModule` imports it.
 *
 * @example
 * MetricsModule.forRoot({ service: 'scheduler', version: '0.1.0' })
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions): DynamicModule {
    registerServiceInfo(options);
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: METRICS_REGISTRIES, useValue: options.registries ?? [] }],
    };
  }
}
