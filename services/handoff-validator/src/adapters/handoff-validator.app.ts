import { CommandRunner } from '@baton/aggregate';
import { SharedSubscriptions } from '@baton/event-store';
import { serviceLogger, startServiceHost, type HostedServiceOptions, type MessagingLogger, type ProjectingService } from '@baton/messaging';
import { AppModule } from '../app.module';
import { HandoffCommandHandler, type HandoffRules, type HandoffRunner } from '../app/handoff-command.handler';
import { warmUpRules } from '../app/handoff-evaluation';
import { HandoffMetrics } from '../app/handoff.metrics';
import type { ArtifactStore } from '../app/ports';
import { DEFAULT_ARTIFACT_MAX_BYTES, type HandoffsDirConfig, type HandoffValidatorConfig } from '../config';
import { handoffAggregate } from '../domain';
import { applyHandoffEvents, HANDOFFS_FILTER, HANDOFFS_PROJECTION, resetHandoffs } from '../read-model/handoffs.projection';
import { HANDOFF_SCHEMA, type HandoffDatabase } from '../read-model/handoffs.table';
import { handoffMigrations } from '../read-model/migrations';
import { loadHandoffRules } from './handoff-specs.loader';
import { PostgresArtifactStore } from './postgres-artifact.store';

/** Name of the relay of handoff events to JetStream (its checkpoint row). */
export const HANDOFF_RELAY = 'relay-handoff-validator';

/** Handoff streams kept in memory by the command runner (a handoff is written once, then only read). */
const HANDOFF_CACHE_SIZE = 1_000;

export interface StartHandoffValidatorOptions
  extends Omit<HandoffValidatorConfig, 'httpHost' | 'handoffsDir' | 'artifactMaxBytes' | 'ruleModules'>,
    HostedServiceOptions {
  /** Custom-rule plug-ins (`HANDOFF_RULE_MODULES`), each exporting `register(registry)`. */
  readonly ruleModules?: readonly string[];
  /** The handoff specs: a directory (a path given here must exist), or rules already loaded (tests). */
  readonly handoffsDir?: HandoffsDirConfig | string;
  readonly rules?: HandoffRules;
  /** Default {@link DEFAULT_ARTIFACT_MAX_BYTES}. */
  readonly artifactMaxBytes?: number;
  /** Default: {@link PostgresArtifactStore} on the service's database. */
  readonly artifactStore?: ArtifactStore;
}

/** A running handoff-validator and the adapters it owns; `close()` stops everything in reverse order. */
export interface HandoffValidatorApp extends ProjectingService<HandoffDatabase> {
  readonly artifacts: ArtifactStore;
  /** The command runner of the `handoff-<handoffId>` streams (get-handoff reads through it). */
  readonly handoffs: HandoffRunner;
  /** Runs validate-handoff and put-artifact in-process (the NATS controller uses it). */
  readonly commands: HandoffCommandHandler;
  readonly rules: HandoffRules;
  readonly metrics: HandoffMetrics;
}

/**
 * Builds and starts the handoff-validator: loads the handoff specs first (an invalid spec file
 * stops start-up with its file:line:col message), then the Postgres event store, the
 * `baton_handoff` migrations (artifact store and read model), the handoffs projection, the NATS
 * connection, the relay of handoff events to JetStream, and the Nest app with its NATS
 * transport and HTTP routes (health, metrics). `main.ts` calls it with the environment's
 * config; integration tests with a test database. If a step fails, what was already started is
 * closed before the error is rethrown.
 *
 * @example
 * const validator = await startHandoffValidator({ databaseUrl, natsUrl, httpPort: 0, logger: false });
 * await validator.close();
 */
export async function startHandoffValidator(options: StartHandoffValidatorOptions): Promise<HandoffValidatorApp> {
  const logger: MessagingLogger = serviceLogger('handoff-validator', options.logger);
  const rules = options.rules ?? (await loadHandoffRules(options.handoffsDir, logger, options.ruleModules ?? []));
  const warmMs = warmUpRules(rules.catalog.specs, rules.registry);
  logger.log(`handoff rules warmed up (first use of each spec) in ${Math.round(warmMs)} ms`);
  const service = { ...options, messagingLogger: logger, service: 'handoff-validator', schema: HANDOFF_SCHEMA, migrations: handoffMigrations } as const;
  return startServiceHost<HandoffDatabase, HandoffValidatorApp>(service, async (host) => {
    const { store, db, clock, ids } = host;
    const artifacts = options.artifactStore ?? new PostgresArtifactStore(db, clock);

    // One read of the store's new events for the projection and the relay: every append in the
    // database (the scheduler's too) wakes them, and each read is a round trip.
    const feed = new SharedSubscriptions(store);
    host.defer(() => feed.close());
    const projection = await host.startProjection({
      name: HANDOFFS_PROJECTION,
      filter: HANDOFFS_FILTER,
      feed,
      applyBatch: applyHandoffEvents,
      deferWrites: true,
      reset: resetHandoffs,
      onError: (err) => logger.error(`handoffs projection failed: ${(err as Error).message}`),
    });

    const nats = await host.connectNats(options.natsUrl);
    const relay = await host.startRelay({ name: HANDOFF_RELAY, filter: HANDOFFS_FILTER, feed });

    const metrics = new HandoffMetrics();
    // validate-handoff loads a handoff, then records it: kept in memory, the state loaded is the one decided on (no second read).
    const handoffs: HandoffRunner = new CommandRunner(store, handoffAggregate, { clock, ids, cacheSize: HANDOFF_CACHE_SIZE });
    const commands = new HandoffCommandHandler({
      handoffs,
      artifacts,
      rules,
      metrics,
      maxArtifactBytes: options.artifactMaxBytes ?? DEFAULT_ARTIFACT_MAX_BYTES,
    });

    const readinessChecks = host.readinessChecks({ projections: { handoffs: projection }, relay });
    const { app, httpUrl } = await host.listen(
      AppModule.forRoot({ version: options.version ?? '0.0.0', readinessChecks, metrics, deps: { handoffs, db, artifacts, commands, rules } }),
      options,
    );
    return { app, store, db, artifacts, projection, nats, relay, handoffs, commands, rules, metrics, httpUrl, close: () => host.close() };
  });
}
