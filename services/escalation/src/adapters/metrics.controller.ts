import { Controller, Get, Header, Inject } from '@nestjs/common';
import { exposeMetrics, PROMETHEUS_CONTENT_TYPE, registerServiceInfo } from '@baton/telemetry';
import type { Kysely } from 'kysely';
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
export class MetricsController {
  constructor(
    @Inject(READ_DB) private readonly db: Kysely<EscalationDatabase>,
    @Inject(SERVICE_VERSION) version: string,
  ) {
    registerServiceInfo({ service: 'escalation', version });
  }

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    const [reached, open] = await Promise.all([levelsReached(this.db), openByLevel(this.db)]);
    return (await exposeMetrics()) + formatEscalationMetrics(reached, open);
  }
}
