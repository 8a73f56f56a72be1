// Boots the bare scheduler's root module with @nestjs/testing on an ephemeral loopback port
// and checks the endpoints every service shares (via @baton/telemetry's OpsEndpointsModule).
import { HealthService, type ReadinessCheck } from '@baton/telemetry';
import { httpModuleBooter } from '@baton/testing';
import { AppModule } from './app.module';

describe('scheduler app module', () => {
  const bootModule = httpModuleBooter();
  const boot = (readinessChecks: ReadinessCheck[]) => bootModule(AppModule.forRoot({ version: '9.9.9', readinessChecks }));

  it('answers /health/live and, with passing checks, /health/ready', async () => {
    const { base } = await boot([{ name: 'nats', check: () => undefined }]);
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { nats: 'up' }, failing: [] });
  });

  it('answers 503 naming the failing checks, without their error messages, while live stays 200', async () => {
    const { base } = await boot([
      { name: 'nats', check: () => undefined },
      { name: 'postgres', check: () => Promise.reject(new Error('password authentication failed for user baton')) },
    ]);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { nats: 'up', postgres: 'down' }, failing: ['postgres'] });
    expect(text).not.toContain('password');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it('reports not ready once shutdown has begun', async () => {
    const { app, base } = await boot([]);
    const health = app.get(HealthService);
    health.beforeApplicationShutdown();
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: string[] }).failing).toEqual(['shutdown']);
  });

  it('serves process metrics for Prometheus at /metrics', async () => {
    const { base } = await boot([]);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const body = await res.text();
    expect(body).toContain('baton_service_info{service="scheduler",version="9.9.9"');
    expect(body).toMatch(/^baton_process_resident_memory_bytes \d+$/m);
  });
});
