import type { NatsConnection } from '@nats-io/transport-node';
import type { EventRelay } from './event.relay';
import { natsReadiness, relayReadiness } from './readiness';

describe('natsReadiness', () => {
  it('passes when the connection answers a round trip, fails when it is closed or does not', async () => {
    const nc = (closed: boolean, rtt: () => Promise<number>) => ({ isClosed: () => closed, rtt }) as unknown as NatsConnection;
    expect(natsReadiness(nc(false, async () => 1)).name).toBe('nats');
    await expect(natsReadiness(nc(false, async () => 1)).check()).resolves.toBeUndefined();
    await expect(natsReadiness(nc(true, async () => 1)).check()).rejects.toThrow('connection closed');
    await expect(natsReadiness(nc(false, () => Promise.reject(new Error('timeout')))).check()).rejects.toThrow('timeout');
  });
});

describe('relayReadiness', () => {
  it('passes while the relay runs', () => {
    const relay = (running: boolean) => ({ lag: () => ({ running }) }) as unknown as Pick<EventRelay, 'lag'>;
    expect(relayReadiness(relay(true)).name).toBe('relay');
    expect(() => relayReadiness(relay(true)).check()).not.toThrow();
    expect(() => relayReadiness(relay(false)).check()).toThrow('event relay is not running');
  });
});
