import { Module, type DynamicModule } from '@nestjs/common';
import { OpsEndpointsModule, type ReadinessCheck } from '@baton/telemetry';

/** What the composition root (main.ts) hands the metrics. */
export interface MetricsConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
}

/** Root module of the metrics: Prometheus metrics and workflow analytics projected from events. */
@Module({})
export class AppModule {
  static forRoot(config: MetricsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OpsEndpointsModule.forRoot({ service: 'metrics', version: config.version, readinessChecks: config.readinessChecks }),
      ],
    };
  }
}
