import type { Migration } from '@baton/read-models';
import * as createMetrics from './2026_12_06_0001_create_metrics';
import * as budgets from './2026_12_06_0002_budgets';

/** Every migration of schema `baton_metrics`, by name (imported statically; no directory scanning). */
export const metricsMigrations: Readonly<Record<string, Migration>> = {
  '2026_12_06_0001_create_metrics': createMetrics,
  '2026_12_06_0002_budgets': budgets,
};
