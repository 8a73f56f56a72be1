import { DEFAULT_LADDER } from './domain';
import { readEscalationConfig } from './config';

describe('escalation config', () => {
  it('defaults: port 3104, the seed ladder, poll every second, local servers', () => {
    expect(readEscalationConfig({})).toMatchObject({
      databaseUrl: 'postgres://baton:baton@127.0.0.1:5432/baton',
      natsUrl: 'nats://127.0.0.1:4222',
      httpPort: 3104,
      httpHost: '127.0.0.1',
      ladder: DEFAULT_LADDER,
      pollIntervalMs: 1000,
      registryTimeoutMs: 2000,
      schedulerTimeoutMs: 5000,
      eventStore: { kind: 'postgres' },
    });
  });

  it('reads the ladder and the poll interval from the environment; blank means unset', () => {
    const c = readEscalationConfig({
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
    expect(() => readEscalationConfig({ ESCALATION_POLL_MS: 'soon' })).toThrow(expect.objectContaining({ code: 'INVALID_ENV', variable: 'ESCALATION_POLL_MS' }));
    expect(() => readEscalationConfig({ ESCALATION_POLL_MS: '5' })).toThrow(/ESCALATION_POLL_MS is invalid: expected an integer from 10 to 3600000, got "5"/);
    expect(() => readEscalationConfig({ ESCALATION_L2_AFTER_MS: '1000' })).toThrow(/ESCALATION_L1_AFTER_MS.*climb/);
    expect(() => readEscalationConfig({ ESCALATION_L2_AFTER_MS: '1000' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => readEscalationConfig({ DATABASE_URL: 'mysql://x' })).toThrow(expect.objectContaining({ code: 'INVALID_ENV', variable: 'DATABASE_URL' }));
    expect(() => readEscalationConfig({ HTTP_PORT: '70000' })).toThrow(expect.objectContaining({ code: 'INVALID_ENV', variable: 'HTTP_PORT' }));
    expect(() => readEscalationConfig({ BATON_EVENT_STORE: 'mongo' })).toThrow(/BATON_EVENT_STORE/);
  });
});
