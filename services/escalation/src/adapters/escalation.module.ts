import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, type ReadinessCheck } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import type { EscalationService } from '../app/escalation.service';
import { EscalationNatsController } from './escalation.nats-controller';
import type { EscalationDatabase } from '../read-model/escalation.tables';
import { MetricsController } from './metrics.controller';
import { ESCALATION_SERVICE, READ_DB, SERVICE_VERSION } from './tokens';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface EscalationDeps {
  readonly db: Kysely<EscalationDatabase>;
  /** Dependencies that must answer before `/health/ready` says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly escalations: EscalationService;
  readonly version: string;
}

/** The escalation service's Nest module: NATS controller, health and metrics endpoints. */
@Module({})
export class EscalationModule {
  static register(deps: EscalationDeps): DynamicModule {
    return {
      module: EscalationModule,
      imports: [HealthModule.forRoot({ checks: deps.readinessChecks })],
      controllers: [EscalationNatsController, MetricsController],
      providers: [
        { provide: READ_DB, useValue: deps.db },
        { provide: ESCALATION_SERVICE, useValue: deps.escalations },
        { provide: SERVICE_VERSION, useValue: deps.version },
      ],
    };
  }
}
