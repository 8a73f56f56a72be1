import { registerScrapedMetric } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import {
  activeRunCounts,
  agentUtilisation,
  breachedChecks,
  executionCounts,
  executionLatencies,
  finishedRunCounts,
  queueDepth,
  runDurations,
  tokenTotals,
} from '../read-model/prometheus.queries';
import type { MetricsDatabase } from '../read-model/metrics.tables';
import { costOf, type PriceTable } from './metrics.settings';

/** Bucket bounds of workflow durations, in seconds (1 s to 14 days). */
export const WORKFLOW_DURATION_BOUNDS = [1, 5, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 86_400, 7 * 86_400, 14 * 86_400] as const;
/** Bucket bounds of agent latencies (one attempt, assignment to its end), in seconds. */
export const AGENT_LATENCY_BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

/**
 * Every metric name the metrics service exports on `/metrics` (besides the process metrics);
 * scripts/grafana-check.mjs reads this list to check the dashboard's queries.
 */
export const EXPORTED_METRICS = [
  'orchestrator_workflows_total',
  'orchestrator_workflows_active',
  'orchestrator_workflow_duration_seconds',
  'orchestrator_success_rate',
  'orchestrator_agent_executions_total',
  'orchestrator_agent_latency_seconds',
  'orchestrator_agent_errors_total',
  'orchestrator_queue_depth',
  'orchestrator_agent_utilization_ratio',
  'orchestrator_tokens_total',
  'orchestrator_cost_usd_total',
  'orchestrator_health_check_breached',
  'orchestrator_scale_up_requested',
] as const;

/**
 * The orchestrator's metrics as a registry of its own, every sample read from the read model at
 * scrape time: replicas agree, and a restart or a rebuild loses nothing. Names as the
 * orchestration platform documents them (`orchestrator_…`), plus queue depth, utilisation,
 * tokens, cost and the health gauges an autoscaler can act on.
 */
export function orchestratorRegistry(db: Kysely<MetricsDatabase>, prices: PriceTable): Registry {
  const r = new Registry();
  registerScrapedMetric(r, {
    name: 'orchestrator_workflows_total',
    help: 'Workflow runs that finished, by workflow and final status (success, failure, cancelled).',
    type: 'counter',
    read: async () => (await finishedRunCounts(db)).map((x) => ({ labels: { workflow: x.workflow_id, status: x.status }, value: x.n })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_workflows_active',
    help: 'Workflow runs running or paused now, by workflow.',
    type: 'gauge',
    read: async () => (await activeRunCounts(db)).map((x) => ({ labels: { workflow: x.workflow_id }, value: x.n })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_workflow_duration_seconds',
    help: 'Cycle time of finished workflow runs (start to end), by workflow.',
    type: 'histogram',
    bounds: WORKFLOW_DURATION_BOUNDS,
    read: async () => (await runDurations(db, WORKFLOW_DURATION_BOUNDS)).map((h) => ({ ...h, labels: { workflow: h.key } })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_success_rate',
    help: 'Share of finished runs that succeeded (0 to 1), by workflow.',
    type: 'gauge',
    read: async () => {
      const byWorkflow = new Map<string, { ok: number; all: number }>();
      for (const x of await finishedRunCounts(db)) {
        const e = byWorkflow.get(x.workflow_id) ?? { ok: 0, all: 0 };
        byWorkflow.set(x.workflow_id, { ok: e.ok + (x.status === 'success' ? x.n : 0), all: e.all + x.n });
      }
      return [...byWorkflow].map(([workflow, e]) => ({ labels: { workflow }, value: e.ok / e.all }));
    },
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_agent_executions_total',
    help: 'Task attempts an agent finished (completed or failed), by agent.',
    type: 'counter',
    read: async () => (await executionCounts(db)).map((x) => ({ labels: { agent: x.agent_id }, value: x.n })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_agent_errors_total',
    help: 'Task attempts that failed, by agent.',
    type: 'counter',
    read: async () => (await executionCounts(db)).map((x) => ({ labels: { agent: x.agent_id }, value: x.failed })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_agent_latency_seconds',
    help: 'Time of one task attempt, from assignment to completion or failure, by agent.',
    type: 'histogram',
    bounds: AGENT_LATENCY_BOUNDS,
    read: async () => (await executionLatencies(db, AGENT_LATENCY_BOUNDS)).map((h) => ({ ...h, labels: { agent: h.key } })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_queue_depth',
    help: 'Tasks waiting in the queue now, by priority.',
    type: 'gauge',
    read: async () => (await queueDepth(db)).map((x) => ({ labels: { priority: x.priority }, value: x.n })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_agent_utilization_ratio',
    help: 'Tasks an agent holds now over the tasks it may hold at once (0 to 1), by agent.',
    type: 'gauge',
    read: async () => (await agentUtilisation(db)).map((x) => ({ labels: { agent: x.agent_id }, value: x.capacity > 0 ? x.held / x.capacity : 0 })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_tokens_total',
    help: 'Tokens agents reported, by agent and model.',
    type: 'counter',
    read: async () => (await tokenTotals(db)).map((x) => ({ labels: { agent: x.agent_id, model: x.model }, value: x.tokens })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_cost_usd_total',
    help: 'Cost of the tokens reported, from the configured price table (models without a price are left out), by agent and model.',
    type: 'counter',
    read: async () =>
      (await tokenTotals(db)).flatMap((x) => {
        const cost = costOf(prices, x.model, x.tokens);
        return cost === null ? [] : [{ labels: { agent: x.agent_id, model: x.model }, value: cost }];
      }),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_health_check_breached',
    help: 'Health checks in breach now (1), by check and subject (an agent, or system).',
    type: 'gauge',
    read: async () => (await breachedChecks(db)).map((x) => ({ labels: { check: x.check, subject: x.subject }, value: 1 })),
  });
  registerScrapedMetric(r, {
    name: 'orchestrator_scale_up_requested',
    help: 'Breached checks whose action is scale_up (queue depth): above 0, autoscalers should add workers.',
    type: 'gauge',
    read: async () => [{ labels: {}, value: (await breachedChecks(db)).filter((x) => x.actions.includes('scale_up')).length }],
  });
  return r;
}
