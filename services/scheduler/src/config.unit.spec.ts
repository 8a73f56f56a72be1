import { readSchedulerConfig } from './config';

describe('scheduler config', () => {
  it('uses the defaults when nothing is set', () => {
    expect(readSchedulerConfig({})).toMatchObject({
      httpPort: 3101,
      agingIntervalMs: 60_000,
      leaseTtlMs: 3000,
      consumerName: 'scheduler',
      agentEventsFrom: 'all',
    });
  });

  it('reads tunables and treats blank as unset', () => {
    const c = readSchedulerConfig({ HTTP_PORT: '0', SCHEDULER_LEASE_TTL_MS: '3000', SCHEDULER_AGING_INTERVAL_MS: ' ', SCHEDULER_AGENT_EVENTS_FROM: 'new' });
    expect(c).toMatchObject({ httpPort: 0, leaseTtlMs: 3000, agingIntervalMs: 60_000, agentEventsFrom: 'new' });
  });

  it('reads WORKFLOWS_DIR only when set and not blank', () => {
    expect(readSchedulerConfig({}).workflowsDir).toBeUndefined();
    expect(readSchedulerConfig({ WORKFLOWS_DIR: ' ' }).workflowsDir).toBeUndefined();
    expect(readSchedulerConfig({ WORKFLOWS_DIR: '/etc/baton/workflows' }).workflowsDir).toBe('/etc/baton/workflows');
  });

  it('stops on a bad value, naming the variable', () => {
    expect(() => readSchedulerConfig({ HTTP_PORT: 'eighty' })).toThrow(/HTTP_PORT/);
    expect(() => readSchedulerConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => readSchedulerConfig({ SCHEDULER_AGENT_EVENTS_FROM: 'later' })).toThrow(/SCHEDULER_AGENT_EVENTS_FROM/);
  });
});
