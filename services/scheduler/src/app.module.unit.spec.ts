// Boots the bare scheduler's root module with @nestjs/testing on an ephemeral loopback port
// and checks the endpoints every service shares (via @baton/telemetry's OpsEndpointsModule).
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthService, type ReadinessCheck } from '@baton/telemetry';
import { AppModule } from './app.module';

async function boot(readinessChecks: ReadinessCheck[]): Promise<{ app: INestApplication; base: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ version: '9.9.9', readinessChecks })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, base: `http://127.0.0.1:${address.port}` };
}

describe('scheduler app module', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers /health/live and, with passing checks, /health/ready', async () => {
    const booted = await boot([{ name: 'nats', check: () => undefined }]);
    app = booted.app;
    const live = await fetch(`${booted.base}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) });
    const ready = await fetch(`${booted.base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { nats: 'up' }, failing: [] });
  });

  it('answers 503 naming the failing checks, without their error messages, while live stays 200', async () => {
    const booted = await boot([
      { name: 'nats', check: () => undefined },
      { name: 'postgres', check: () => Promise.reject(new Error('password authentication failed for user baton')) },
    ]);
    app = booted.app;
    const ready = await fetch(`${booted.base}/health/ready`);
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { nats: 'up', postgres: 'down' }, failing: ['postgres'] });
    expect(text).not.toContain('password');
    expect((await fetch(`${booted.base}/health/live`)).status).toBe(200);
  });

  it('reports not ready once shutdown has begun', async () => {
    const booted = await boot([]);
    app = booted.app;
    const health = app.get(HealthService);
    health.beforeApplicationShutdown();
    const ready = await fetch(`${booted.base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: string[] }).failing).toEqual(['shutdown']);
  });

  it('serves process metrics for Prometheus at /metrics', async () => {
    const booted = await boot([]);
    app = booted.app;
    const res = await fetch(`${booted.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const body = await res.text();
    expect(body).toContain('baton_service_info{service="scheduler",version="9.9.9"');
    expect(body).toMatch(/^baton_process_resident_memory_bytes \d+$/m);
  });
});
