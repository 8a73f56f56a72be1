import { createTestDatabase, testNatsUrl, uniqueId, type TestDatabase } from '@baton/testing';
import { startScheduler, type SchedulerApp } from './adapters/scheduler.app';
import { readSchedulerConfig } from './config';

describe('scheduler started with the default HTTP settings (real NATS + Postgres)', () => {
  let tdb: TestDatabase;
  let scheduler: SchedulerApp | undefined;

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_http_host');
  });

  afterAll(async () => {
    await scheduler?.close();
    await tdb?.drop();
  });

  it('listens on loopback only (HTTP_HOST unset), and answers there', async () => {
    // As main.ts does: the environment's config, nothing said about HTTP_HOST.
    const config = readSchedulerConfig({
      DATABASE_URL: tdb.url,
      NATS_URL: testNatsUrl(),
      HTTP_PORT: '0',
      SCHEDULER_CONSUMER_NAME: uniqueId('sched-http-host'),
      SCHEDULER_AGENT_EVENTS_FROM: 'new',
    });
    scheduler = await startScheduler({ ...config, logger: false });
    const bound = scheduler.app.getHttpServer().address() as { address: string; port: number };
    expect(bound.address).toBe('127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${bound.port}/health/live`)).status).toBe(200);
  });
});
