import { DEFAULT_LADDER } from './domain';
import { readConfig } from './config';

describe('escalation config', () => {
  it('defaults: port 3104, the seed ladder, poll every second, local servers', () => {
    expect(readConfig({})).toMatchObject({
      databaseUrl: 'postgres://baton:baton@127.0.0.1:5432/baton',
      natsUrl: 'nats://127.0.0.1:4222',
      httpPort: 3104,
      ladder: DEFAULT_LADDER,
      pollIntervalMs: 1000,
      registryTimeoutMs: 2000,
      schedulerTimeoutMs: 5000,
    });
  });

  it('reads the ladder and the poll interval from the environment; blank means unset', () => {
    const c = readConfig({
      ESCALATION_L1_AFTER_MS: '60000',
      ESCALATION_L2_AFTER_MS: '120000',
      ESCALATION_L3_AFTER_MS: '180000',
      ESCALATION_STALL_AFTER_MS: '90000',
      ESCALATION_CONFLICT_AFTER_MS: '30000',
      ESCALATION_POLL_MS: '250',
      HTTP_PORT: ' ',
    });
    expect(c.ladder).toEqual({ l1AfterMs: 60_000, l2AfterMs: 120_000, l3AfterMs: 180_000, stallAfterMs: 90_000, conflictEscalateMs: 30_000 });
    expect(c.pollIntervalMs).toBe(250);
    expect(c.httpPort).toBe(3104);
  });

  it('a bad value stops start-up with a message naming the variable', () => {
    expect(() => readConfig({ ESCALATION_POLL_MS: 'soon' })).toThrow(/ESCALATION_POLL_MS/);
    expect(() => readConfig({ ESCALATION_L2_AFTER_MS: '1000' })).toThrow(/ESCALATION_L1_AFTER_MS.*climb/);
    expect(() => readConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => readConfig({ NATS_URL: 'not a url' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
