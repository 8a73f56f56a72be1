import type { ServiceMigration } from '@baton/messaging';
import { metricsMigrations } from './read-model/migrations';
import { METRICS_SCHEMA } from './read-model/metrics.tables';

/** What the one-shot migration (`npm run migrate`, docker compose's `migrate`) brings up to date for the metrics service; start-up repeats it. */
export const migration: ServiceMigration = { service: 'metrics', schema: METRICS_SCHEMA, migrations: metricsMigrations };
