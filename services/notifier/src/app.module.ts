import { Module, type DynamicModule } from '@nestjs/common';
import { OpsEndpointsModule, type ReadinessCheck } from '@baton/telemetry';

/** What the composition root (main.ts) hands the notifier. */
export interface NotifierConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
}

/** Root module of the notifier: Slack, webhook, email and console deliveries with retries. */
@Module({})
export class AppModule {
  static forRoot(config: NotifierConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OpsEndpointsModule.forRoot({ service: 'notifier', version: config.version, readinessChecks: config.readinessChecks }),
      ],
    };
  }
}
