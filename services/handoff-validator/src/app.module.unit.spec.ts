// Boots the handoff-validator's root module (no NATS controller) with @nestjs/testing on an
// ephemeral loopback port and checks its HTTP endpoints: health and the metrics with the handoff counters.
import type { ReadinessCheck } from '@baton/telemetry';
import { httpModuleBooter } from '@baton/testing';
import { AppModule } from './app.module';
import { HandoffMetrics } from './app/handoff.metrics';

describe('handoff-validator app module', () => {
  const bootModule = httpModuleBooter();
  const boot = (readinessChecks: ReadinessCheck[], metrics: HandoffMetrics) => bootModule(AppModule.forRoot({ version: '9.9.9', readinessChecks, metrics }));

  it('answers /health/live, and /health/ready with its checks', async () => {
    const { base } = await boot([{ name: 'nats', check: () => undefined }, { name: 'postgres', check: () => Promise.reject(new Error('down')) }], new HandoffMetrics());
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', checks: { nats: 'up', postgres: 'down' }, failing: ['postgres'] });
  });

  it('serves the process metrics and the handoff counters at /metrics', async () => {
    const metrics = new HandoffMetrics();
    metrics.recordVerdict({ handoffId: 'ho-1', status: 'accepted', failures: [], specIds: ['HO-PM-ARCH'], artifacts: [], rulesChecked: 4 });
    const { base } = await boot([], metrics);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('baton_service_info{service="handoff-validator",version="9.9.9"');
    expect(text).toContain('baton_process_cpu_seconds_total');
    expect(text).toContain('baton_handoffs_total{status="accepted",spec="HO-PM-ARCH"} 1');
    expect(text).toContain('# TYPE baton_handoff_rule_failures_total counter');
  });
});
