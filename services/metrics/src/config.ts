import { HealthAction, HealthCheckName, MetricTarget } from '@baton/contracts';
import { readServiceEnv, type ServiceEnv } from '@baton/messaging';
import { EnvError, envInt, rawEnv, type EnvSource } from '@baton/telemetry';
import { z } from 'zod';
import { DEFAULT_TARGETS, type MetricTargets, type PriceTable } from './app/metrics.settings';
import { DEFAULT_HEALTH_RULES, type HealthRule } from './domain';

/** Everything the metrics service reads from its environment, read once at start-up. */
export interface MetricsConfig extends ServiceEnv {
  /** `METRICS_HEALTH_INTERVAL_MS` (default 60 000): how often the health checks run. */
  readonly healthIntervalMs: number;
  /** `METRICS_HEALTH_WINDOW_MS` (default 300 000): how far back each check looks. */
  readonly healthWindowMs: number;
  /** `METRICS_HEALTH_RULES` (JSON, per check `{threshold: {op, value}, actions}`), over the defaults. */
  readonly healthRules: Readonly<Record<HealthCheckName, HealthRule>>;
  /** `METRICS_TARGETS` (JSON, per figure `{op, value}`), over the defaults. */
  readonly targets: MetricTargets;
  /** `METRICS_PRICES` (JSON: USD per million tokens by model, `*` for any other). Default: none (no cost). */
  readonly prices: PriceTable;
  /** `METRICS_BUDGET_INTERVAL_MS` (default 5000): how often token budgets are checked. */
  readonly budgetIntervalMs: number;
  /** `METRICS_ESCALATION_TIMEOUT_MS` (default 5000): how long to wait for the escalation service or the scheduler. */
  readonly escalationTimeoutMs: number;
}

export const DEFAULT_HTTP_PORT = 3105;

function envJson<T>(name: string, schema: z.ZodType<T>, source: EnvSource): T | undefined {
  const raw = rawEnv(name, source);
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new EnvError(name, 'JSON', 'malformed', raw);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new EnvError(name, `JSON (${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`, 'malformed');
  return parsed.data;
}

const RuleOverride = z.strictObject({ threshold: MetricTarget.optional(), actions: z.array(HealthAction).optional() });
const RulesOverride = z.partialRecord(HealthCheckName, RuleOverride);
const TargetsOverride = z.strictObject(Object.fromEntries(Object.keys(DEFAULT_TARGETS).map((k) => [k, MetricTarget.optional()])) as Record<keyof MetricTargets, z.ZodOptional<typeof MetricTarget>>);
const Prices = z.record(z.string().min(1), z.number().nonnegative());

/**
 * Reads and checks the configuration with the telemetry env getters (blank means unset; a bad
 * value throws an error naming the variable).
 *
 * @example
 * const config = readMetricsConfig(); // from process.env
 */
export function readMetricsConfig(source: EnvSource = process.env): MetricsConfig {
  const opts = { source };
  const rules = envJson('METRICS_HEALTH_RULES', RulesOverride, source) ?? {};
  const healthRules = Object.fromEntries(
    HealthCheckName.options.map((check) => [check, { ...DEFAULT_HEALTH_RULES[check], ...rules[check] }]),
  ) as Record<HealthCheckName, HealthRule>;
  const targets = envJson('METRICS_TARGETS', TargetsOverride, source) ?? {};
  return {
    ...readServiceEnv(DEFAULT_HTTP_PORT, source),
    healthIntervalMs: envInt('METRICS_HEALTH_INTERVAL_MS', 60_000, { ...opts, min: 100, max: 86_400_000 }),
    healthWindowMs: envInt('METRICS_HEALTH_WINDOW_MS', 300_000, { ...opts, min: 1000, max: 7 * 86_400_000 }),
    healthRules,
    targets: { ...DEFAULT_TARGETS, ...Object.fromEntries(Object.entries(targets).filter(([, v]) => v !== undefined)) },
    prices: envJson('METRICS_PRICES', Prices, source) ?? {},
    budgetIntervalMs: envInt('METRICS_BUDGET_INTERVAL_MS', 5000, { ...opts, min: 100, max: 3_600_000 }),
    escalationTimeoutMs: envInt('METRICS_ESCALATION_TIMEOUT_MS', 5000, { ...opts, min: 10, max: 60_000 }),
  };
}
