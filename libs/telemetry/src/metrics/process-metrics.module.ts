import { Module, type DynamicModule } from '@nestjs/common';
import { ProcessMetricsController, SERVICE_INFO } from './process-metrics.controller';
import type { ServiceInfo } from './process-metrics';

/**
 * Adds `GET /metrics` with the process metrics of {@link renderProcessMetrics}.
 * A service that registers its own prom-client registry on `/metrics` should not import this.
 *
 * @example
 * ProcessMetricsModule.forRoot({ service: 'scheduler', version: '0.1.0' })
 */
@Module({})
export class ProcessMetricsModule {
  static forRoot(info: ServiceInfo): DynamicModule {
    return {
      module: ProcessMetricsModule,
      controllers: [ProcessMetricsController],
      providers: [{ provide: SERVICE_INFO, useValue: info }],
    };
  }
}
