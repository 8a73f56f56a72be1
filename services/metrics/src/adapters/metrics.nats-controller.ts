import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  BatonError,
  GetMetrics,
  GetRunMetrics,
  ListEtas,
  ListHealth,
  type DataOf,
  type QueryEnvelope,
  type ReplyOf,
} from '@baton/contracts';
import { QueryHandler } from '@baton/messaging';
import type { Kysely } from 'kysely';
import type { MetricsReport } from '../app/metrics.report';
import { listHealthChecks } from '../read-model/health.queries';
import type { MetricsDatabase } from '../read-model/metrics.tables';
import { METRICS_REPORT, READ_DB } from './tokens';

/** `baton.qry.metrics.*`; requests arrive validated by the transport. */
@Controller()
export class MetricsNatsController {
  constructor(
    @Inject(METRICS_REPORT) private readonly report: MetricsReport,
    @Inject(READ_DB) private readonly db: Kysely<MetricsDatabase>,
  ) {}

  @QueryHandler(GetMetrics)
  getMetrics(@Payload() query: QueryEnvelope<DataOf<typeof GetMetrics>>): Promise<ReplyOf<typeof GetMetrics>> {
    const d = query.data;
    const since = d.rangeMs === undefined ? undefined : this.report.ago(d.rangeMs);
    return this.report.metrics({ workflowId: d.workflowId, agentId: d.agentId, since, limit: d.limit });
  }

  @QueryHandler(GetRunMetrics)
  async getRunMetrics(@Payload() query: QueryEnvelope<DataOf<typeof GetRunMetrics>>): Promise<ReplyOf<typeof GetRunMetrics>> {
    const view = await this.report.run(query.data.runId);
    if (view === undefined) throw new BatonError('NOT_FOUND', `run ${query.data.runId} has no metrics (unknown run, or not projected yet)`, { runId: query.data.runId });
    return view;
  }

  @QueryHandler(ListEtas)
  async listEtas(@Payload() query: QueryEnvelope<DataOf<typeof ListEtas>>): Promise<ReplyOf<typeof ListEtas>> {
    return { etas: await this.report.etas(query.data.runId) };
  }

  @QueryHandler(ListHealth)
  async listHealth(@Payload() query: QueryEnvelope<DataOf<typeof ListHealth>>): Promise<ReplyOf<typeof ListHealth>> {
    const rows = await listHealthChecks(this.db, query.data.status);
    return {
      checks: rows.map((r) => ({ check: r.check, subject: r.subject, status: r.status, value: r.value, unit: r.unit, threshold: r.threshold, actions: r.actions, since: r.since.toISOString() })),
    };
  }
}
