import type { HealthAction, HealthCheckName, MetricTarget } from '@baton/contracts';
import { meets } from './figures';

/** One health check: the condition a healthy value meets, and what a breach asks for. */
export interface HealthRule {
  readonly check: HealthCheckName;
  readonly threshold: MetricTarget;
  readonly actions: readonly HealthAction[];
}

/**
 * The agent health checks of the orchestration system, as its operators wrote them: response
 * time under 5 s (alert), task completion rate over 95 % (investigate), error rate under 1 %
 * (alert and investigate), queue depth under 10 items (scale up). Each can be set in the
 * environment (see config.ts).
 */
export const DEFAULT_HEALTH_RULES: Readonly<Record<HealthCheckName, HealthRule>> = {
  response_time: { check: 'response_time', threshold: { op: '<', value: 5000 }, actions: ['alert'] },
  task_completion_rate: { check: 'task_completion_rate', threshold: { op: '>', value: 95 }, actions: ['investigate'] },
  error_rate: { check: 'error_rate', threshold: { op: '<', value: 1 }, actions: ['alert', 'investigate'] },
  queue_depth: { check: 'queue_depth', threshold: { op: '<', value: 10 }, actions: ['scale_up'] },
};

/** Unit of each check's value. */
export const HEALTH_UNITS: Readonly<Record<HealthCheckName, 'ms' | 'percent' | 'count'>> = {
  response_time: 'ms',
  task_completion_rate: 'percent',
  error_rate: 'percent',
  queue_depth: 'count',
};

/** What one check measured for one subject (an agent, or `system`) over the window. */
export interface HealthObservation {
  readonly check: HealthCheckName;
  readonly subject: string;
  readonly value: number;
}

/** An observation judged against its rule. */
export interface HealthReading extends HealthObservation {
  readonly unit: 'ms' | 'percent' | 'count';
  readonly threshold: MetricTarget;
  readonly actions: readonly HealthAction[];
  readonly windowMs: number;
  readonly healthy: boolean;
}

/**
 * Judges each observation against the rule of its check: healthy when the value meets the
 * threshold. A value exactly at the threshold of a strict rule (`< 5 s`, `> 95 %`) is a breach.
 */
export function judge(observations: readonly HealthObservation[], rules: Readonly<Record<HealthCheckName, HealthRule>>, windowMs: number): HealthReading[] {
  return observations.map((o) => {
    const rule = rules[o.check];
    return { ...o, unit: HEALTH_UNITS[o.check], threshold: rule.threshold, actions: rule.actions, windowMs, healthy: meets(o.value, rule.threshold) === true };
  });
}
