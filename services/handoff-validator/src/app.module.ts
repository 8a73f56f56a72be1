import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, type ReadinessCheck } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import { HandoffValidatorNatsController } from './adapters/handoff-validator.nats-controller';
import { MetricsController } from './adapters/metrics.controller';
import { ARTIFACT_STORE, HANDOFF_RUNNER, HANDOFF_COMMANDS, HANDOFF_METRICS, HANDOFF_RULES, READ_DB, SERVICE_INFO } from './adapters/tokens';
import type { HandoffCommandHandler, HandoffRules, HandoffRunner } from './app/handoff-command.handler';
import type { HandoffMetrics } from './app/handoff.metrics';
import type { ArtifactStore } from './app/ports';
import type { HandoffDatabase } from './read-model/handoffs.table';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface HandoffValidatorDeps {
  readonly handoffs: HandoffRunner;
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
              { provide: HANDOFF_RUNNER, useValue: deps.handoffs },
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
