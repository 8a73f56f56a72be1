import { Module, type DynamicModule } from '@nestjs/common';
import { OpsEndpointsModule, type ReadinessCheck } from '@baton/telemetry';

/** What the composition root (main.ts) hands the handoff-validator. */
export interface HandoffValidatorConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
}

/** Root module of the handoff-validator: handoff specs, artifact rules, quality gates and reviews. */
@Module({})
export class AppModule {
  static forRoot(config: HandoffValidatorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OpsEndpointsModule.forRoot({ service: 'handoff-validator', version: config.version, readinessChecks: config.readinessChecks }),
      ],
    };
  }
}
