import { Module, type DynamicModule } from '@nestjs/common';
import { OpsEndpointsModule, type ReadinessCheck } from '@baton/telemetry';

/** What the composition root (main.ts) hands the scheduler. */
export interface SchedulerConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
}

/** Root module of the scheduler: workflow definitions, runs, tasks, queues, assignment, timers and triggers. */
@Module({})
export class AppModule {
  static forRoot(config: SchedulerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OpsEndpointsModule.forRoot({ service: 'scheduler', version: config.version, readinessChecks: config.readinessChecks }),
      ],
    };
  }
}
