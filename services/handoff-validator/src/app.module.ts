import { Module, type DynamicModule } from '@nestjs/common';
import type { EventStore } from '@baton/event-store';
import { HealthModule, SERVICE_INFO, type ReadinessCheck } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import { HandoffValidatorNatsController } from './adapters/handoff-validator.nats-controller';
import type { HandoffDatabase } from './adapters/handoffs.table';
import { MetricsController } from './adapters/metrics.controller';
import { ARTIFACT_STORE, EVENT_STORE, HANDOFF_COMMANDS, HANDOFF_METRICS, HANDOFF_RULES, READ_DB } from './adapters/tokens';
import type { HandoffCommandHandler, HandoffRules } from './app/handoff-command.handler';
import type { HandoffMetrics } from './app/handoff.metrics';
import type { ArtifactStore } from './app/ports';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface HandoffValidatorDeps {
  readonly store: EventStore;
  readonly db: Kysely<HandoffDatabase>;
  readonly artifacts: ArtifactStore;
  readonly commands: HandoffCommandHandler;
  readonly rules: HandoffRules;
}

/** What the composition root hands the handoff-validator's Nest module. */
export interface HandoffValidatorModuleConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
  /** Counters served on /metrics after the process metrics. */
  readonly metrics: HandoffMetrics;
  /** When given, the NATS controller serves `baton.cmd|qry.handoff-validator.*` with them. */
  readonly deps?: HandoffValidatorDeps;
}

/**
 * Root module of the handoff-validator: `/health/live`, `/health/ready`, `/metrics` (process
 * metrics and handoff counters) and the NATS controller of its commands and queries.
 */
@Module({})
export class AppModule {
  static forRoot(config: HandoffValidatorModuleConfig): DynamicModule {
    const deps = config.deps;
    return {
      module: AppModule,
      imports: [HealthModule.forRoot({ checks: config.readinessChecks })],
      controllers: [MetricsController, ...(deps ? [HandoffValidatorNatsController] : [])],
      providers: [
        { provide: SERVICE_INFO, useValue: { service: 'handoff-validator', version: config.version } },
        { provide: HANDOFF_METRICS, useValue: config.metrics },
        ...(deps
          ? [
              { provide: EVENT_STORE, useValue: deps.store },
              { provide: READ_DB, useValue: deps.db },
              { provide: ARTIFACT_STORE, useValue: deps.artifacts },
              { provide: HANDOFF_COMMANDS, useValue: deps.commands },
              { provide: HANDOFF_RULES, useValue: deps.rules },
            ]
          : []),
      ],
    };
  }
}
