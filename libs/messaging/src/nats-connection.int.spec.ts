import { Test } from '@nestjs/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { testNatsUrl, uniqueId, waitFor } from '@baton/testing';
import { MANAGED_NATS_CONNECTION, NATS_CONNECTION, NatsModule, connectNats, type ManagedNatsConnection } from './index';

jest.setTimeout(60_000);

describe('NATS connection management', () => {
  it('connects with a name, logs the connection, and drains once even when asked twice', async () => {
    const logs: string[] = [];
    const name = uniqueId('conn');
    const managed = await connectNats({ url: testNatsUrl(), name, logger: { log: (m: unknown) => void logs.push(String(m)), warn: () => undefined, error: () => undefined } });
    expect(managed.nc.isClosed()).toBe(false);
    expect(logs.some((l) => l.includes(name))).toBe(true);
    const subject = `test.${uniqueId('echo')}`;
    const got: string[] = [];
    managed.nc.subscribe(subject, { callback: (_e, m) => void got.push(m.string()) });
    managed.nc.publish(subject, 'hello');
    await Promise.all([managed.drain(), managed.drain()]);
    expect(got).toEqual(['hello']);
    expect(managed.nc.isClosed()).toBe(true);
    await managed.drain();
  });

  it('NatsModule.forRoot shares one connection and drains it when the application shuts down', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [NatsModule.forRoot({ url: testNatsUrl(), name: uniqueId('module') })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const nc = app.get<NatsConnection>(NATS_CONNECTION);
    expect(app.get<ManagedNatsConnection>(MANAGED_NATS_CONNECTION).nc).toBe(nc);
    const subject = `test.${uniqueId('rr')}`;
    nc.subscribe(subject, { callback: (_e, m) => void m.respond('pong') });
    expect((await nc.request(subject, 'ping', { timeout: 5000 })).string()).toBe('pong');
    await app.close();
    await waitFor(() => nc.isClosed(), { what: 'the connection to close' });
  });
});
