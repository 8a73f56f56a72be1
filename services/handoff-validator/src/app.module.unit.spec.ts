// Boots the handoff-validator's root module (no NATS controller) with @nestjs/testing on an
// ephemeral loopback port and checks its HTTP endpoints: health and the metrics with the handoff counters.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ReadinessCheck } from '@baton/telemetry';
import { AppModule } from './app.module';
import { HandoffMetrics } from './app/handoff.metrics';

async function boot(readinessChecks: ReadinessCheck[], metrics: HandoffMetrics): Promise<{ app: INestApplication; base: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot({ version: '9.9.9', readinessChecks, metrics })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, base: `http://127.0.0.1:${address.port}` };
}

describe('handoff-validator app module', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers /health/live, and /health/ready with its checks', async () => {
    const booted = await boot([{ name: 'nats', check: () => undefined }, { name: 'postgres', check: () => Promise.reject(new Error('down')) }], new HandoffMetrics());
    app = booted.app;
    expect((await fetch(`${booted.base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${booted.base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', checks: { nats: 'up', postgres: 'down' }, failing: ['postgres'] });
  });

  it('serves the process metrics and the handoff counters at /metrics', async () => {
    const metrics = new HandoffMetrics();
    metrics.recordVerdict({ handoffId: 'ho-1', status: 'accepted', failures: [], specIds: ['HO-PM-ARCH'], artifacts: [], rulesChecked: 4 });
    const booted = await boot([], metrics);
    app = booted.app;
    const res = await fetch(`${booted.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('baton_service_info{service="handoff-validator",version="9.9.9"');
    expect(text).toContain('baton_process_cpu_seconds_total');
    expect(text).toContain('baton_handoffs_total{status="accepted",spec="HO-PM-ARCH"} 1');
    expect(text).toContain('# TYPE baton_handoff_rule_failures_total counter');
  });
});
