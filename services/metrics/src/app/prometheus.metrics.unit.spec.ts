import type { Kysely } from 'kysely';
import type { MetricsDatabase } from '../read-model/metrics.tables';
import { EXPORTED_METRICS, orchestratorRegistry } from './prometheus.metrics';

describe('orchestrator metrics', () => {
  it('registers exactly the names it declares as exported (the Grafana check reads the list)', () => {
    // Registering reads nothing: the read model is only queried at scrape time.
    const registry = orchestratorRegistry({} as Kysely<MetricsDatabase>, {});
    expect(registry.getMetricsAsArray().map((m) => m.name).sort()).toEqual([...EXPORTED_METRICS].sort());
    for (const name of ['orchestrator_workflows_total', 'orchestrator_workflows_active', 'orchestrator_workflow_duration_seconds', 'orchestrator_success_rate', 'orchestrator_agent_executions_total', 'orchestrator_agent_latency_seconds', 'orchestrator_agent_errors_total']) {
      expect(EXPORTED_METRICS).toContain(name);
    }
  });
});
