import type { ServiceMigration } from '@baton/messaging';
import { schedulerMigrations } from './read-model/migrations';
import { SCHEDULER_SCHEMA } from './read-model/scheduler.tables';

/** What the one-shot migration (`npm run migrate`, docker compose's `migrate`) brings up to date for the scheduler; start-up repeats it. */
export const migration: ServiceMigration = { service: 'scheduler', schema: SCHEDULER_SCHEMA, migrations: schedulerMigrations };
