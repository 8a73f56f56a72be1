import { readMetricsConfig } from './config';

describe('metrics config', () => {
  it('defaults to the operators’ checks every 60 s and no prices', () => {
    const c = readMetricsConfig({});
    expect(c).toMatchObject({ httpPort: 3105, healthIntervalMs: 60_000, healthWindowMs: 300_000, prices: {} });
    expect(c.healthRules.queue_depth).toEqual({ check: 'queue_depth', threshold: { op: '<', value: 10 }, actions: ['scale_up'] });
    expect(c.targets.handoffQuality).toEqual({ op: '>', value: 90 });
  });

  it('reads thresholds, actions, targets and prices from JSON over the defaults', () => {
    const c = readMetricsConfig({
      METRICS_HEALTH_INTERVAL_MS: '5000',
      METRICS_HEALTH_RULES: '{"queue_depth":{"threshold":{"op":"<","value":50}},"response_time":{"actions":["alert","investigate"]}}',
      METRICS_TARGETS: '{"reworkRate":{"op":"<","value":20}}',
      METRICS_PRICES: '{"claude-sonnet":3,"*":1}',
    });
    expect(c.healthIntervalMs).toBe(5000);
    expect(c.healthRules.queue_depth).toEqual({ check: 'queue_depth', threshold: { op: '<', value: 50 }, actions: ['scale_up'] });
    expect(c.healthRules.response_time.actions).toEqual(['alert', 'investigate']);
    expect(c.targets.reworkRate).toEqual({ op: '<', value: 20 });
    expect(c.targets.cycleTime.op).toBe('<');
    expect(c.prices).toEqual({ 'claude-sonnet': 3, '*': 1 });
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => readMetricsConfig({ METRICS_HEALTH_RULES: '{not json' })).toThrow(expect.objectContaining({ code: 'INVALID_ENV', variable: 'METRICS_HEALTH_RULES' }));
    expect(() => readMetricsConfig({ METRICS_HEALTH_RULES: '{"latency":{}}' })).toThrow(expect.objectContaining({ variable: 'METRICS_HEALTH_RULES' }));
    expect(() => readMetricsConfig({ METRICS_PRICES: '{"m":-1}' })).toThrow(expect.objectContaining({ variable: 'METRICS_PRICES' }));
    expect(() => readMetricsConfig({ METRICS_HEALTH_INTERVAL_MS: '10' })).toThrow(expect.objectContaining({ variable: 'METRICS_HEALTH_INTERVAL_MS' }));
  });
});
