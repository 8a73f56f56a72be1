import { Controller, Get, Header, Inject, type OnModuleDestroy } from '@nestjs/common';
import { PROMETHEUS_CONTENT_TYPE, renderProcessMetrics, sampleProcess, startEventLoopMonitor } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import type { ELDHistogram } from 'node:perf_hooks';
import { formatEscalationMetrics } from '../app/escalation.metrics';
import { levelsReached, openByLevel } from '../read-model/escalation.queries';
import type { EscalationDatabase } from '../read-model/escalation.tables';
import { READ_DB, SERVICE_VERSION } from './tokens';

/**
 * `GET /metrics`: the process metrics every service reports, plus `baton_escalations_total`
 * and `baton_escalations_open`, computed from the read model at scrape time (so every replica
 * reports the same figures, and restarts do not reset them).
 */
@Controller()
export class MetricsController implements OnModuleDestroy {
  private readonly loopDelay: ELDHistogram = startEventLoopMonitor();

  constructor(
    @Inject(READ_DB) private readonly db: Kysely<EscalationDatabase>,
    @Inject(SERVICE_VERSION) private readonly version: string,
  ) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    const [reached, open] = await Promise.all([levelsReached(this.db), openByLevel(this.db)]);
    return renderProcessMetrics({ service: 'escalation', version: this.version }, sampleProcess(this.loopDelay)) + formatEscalationMetrics(reached, open);
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }
}
