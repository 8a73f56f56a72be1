import { Module, type DynamicModule } from '@nestjs/common';
import { OpsEndpointsModule, type ReadinessCheck } from '@baton/telemetry';

/** What the composition root (main.ts) hands the escalation. */
export interface EscalationConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
}

/** Root module of the escalation: escalation matrix, stalls, SLA breaches, conflicts and resolutions. */
@Module({})
export class AppModule {
  static forRoot(config: EscalationConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OpsEndpointsModule.forRoot({ service: 'escalation', version: config.version, readinessChecks: config.readinessChecks }),
      ],
    };
  }
}
