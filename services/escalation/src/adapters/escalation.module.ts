import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION, type EventRelay } from '@baton/messaging';
import type { ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import type { EscalationService } from '../app/escalation.service';
import { EscalationNatsController } from './escalation.nats-controller';
import type { EscalationDatabase } from './escalation.tables';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ESCALATION_SERVICE, ESCALATIONS_PROJECTION_RUNNER, EVENT_RELAY, READ_DB, SERVICE_VERSION } from './tokens';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface EscalationDeps {
  readonly db: Kysely<EscalationDatabase>;
  readonly projection: ProjectionRunner<EscalationDatabase>;
  readonly relay: EventRelay;
  readonly nc: NatsConnection;
  readonly escalations: EscalationService;
  readonly version: string;
}

/** The escalation service's Nest module: NATS controller, health and metrics endpoints. */
@Module({})
export class EscalationModule {
  static register(deps: EscalationDeps): DynamicModule {
    return {
      module: EscalationModule,
      imports: [TerminusModule.forRoot()],
      controllers: [EscalationNatsController, HealthController, MetricsController],
      providers: [
        { provide: READ_DB, useValue: deps.db },
        { provide: ESCALATIONS_PROJECTION_RUNNER, useValue: deps.projection },
        { provide: EVENT_RELAY, useValue: deps.relay },
        { provide: NATS_CONNECTION, useValue: deps.nc },
        { provide: ESCALATION_SERVICE, useValue: deps.escalations },
        { provide: SERVICE_VERSION, useValue: deps.version },
      ],
    };
  }
}
