import { deciderSpec } from '@baton/aggregate';
import { decide, evolve, initialHealthState } from './health.decider';
import { DEFAULT_HEALTH_RULES, judge, type HealthReading } from './health.rules';

const NOW = '2026-12-06T08:00:00.000Z';
const meta = { commandId: 'c-1', now: NOW };

describe('health rules', () => {
  it('judges each check against its threshold, a value at a strict threshold being a breach', () => {
    const readings = judge(
      [
        { check: 'response_time', subject: 'MCT-BE-001', value: 4999 },
        { check: 'response_time', subject: 'MCT-FE-001', value: 5000 },
        { check: 'task_completion_rate', subject: 'MCT-BE-001', value: 95 },
        { check: 'error_rate', subject: 'system', value: 0.5 },
        { check: 'queue_depth', subject: 'system', value: 12 },
      ],
      DEFAULT_HEALTH_RULES,
      60_000,
    );
    expect(readings.map((r) => [r.check, r.subject, r.healthy, r.actions])).toEqual([
      ['response_time', 'MCT-BE-001', true, ['alert']],
      ['response_time', 'MCT-FE-001', false, ['alert']],
      ['task_completion_rate', 'MCT-BE-001', false, ['investigate']],
      ['error_rate', 'system', true, ['alert', 'investigate']],
      ['queue_depth', 'system', false, ['scale_up']],
    ]);
    expect(readings[4]).toMatchObject({ unit: 'count', threshold: { op: '<', value: 10 }, windowMs: 60_000 });
  });

  it('uses configured thresholds and actions', () => {
    const rules = { ...DEFAULT_HEALTH_RULES, queue_depth: { check: 'queue_depth' as const, threshold: { op: '<' as const, value: 100 }, actions: ['alert' as const] } };
    expect(judge([{ check: 'queue_depth', subject: 'system', value: 12 }], rules, 1000)[0]).toMatchObject({ healthy: true, actions: ['alert'] });
  });
});

describe('health decider', () => {
  const spec = deciderSpec({ decide, evolve, initialState: initialHealthState });
  const reading = (value: number, healthy: boolean): HealthReading => ({
    check: 'queue_depth',
    subject: 'system',
    value,
    unit: 'count',
    threshold: { op: '<', value: 10 },
    actions: ['scale_up'],
    windowMs: 60_000,
    healthy,
  });
  const breached = { type: 'HealthCheckBreached' as const, data: { check: 'queue_depth' as const, subject: 'system', value: 12, unit: 'count' as const, threshold: { op: '<' as const, value: 10 }, windowMs: 60_000, actions: ['scale_up' as const], breachedAt: NOW } };

  it('records a breach with its actions the first time a reading leaves the threshold', () => {
    spec.given([]).when({ type: 'RecordHealthReading', data: reading(12, false), metadata: meta }).then([breached]);
  });

  it('records nothing while the check stays in breach, or stays healthy', () => {
    spec.given([breached]).when({ type: 'RecordHealthReading', data: reading(15, false), metadata: meta }).then([]);
    spec.given([]).when({ type: 'RecordHealthReading', data: reading(3, true), metadata: meta }).then([]);
  });

  it('records the recovery once a reading is back within the threshold', () => {
    spec
      .given([breached])
      .when({ type: 'RecordHealthReading', data: reading(3, true), metadata: meta })
      .then([{ type: 'HealthCheckRecovered', data: { check: 'queue_depth', subject: 'system', value: 3, unit: 'count', threshold: { op: '<', value: 10 }, windowMs: 60_000, recoveredAt: NOW } }]);
  });
});
