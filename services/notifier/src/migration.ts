import type { ServiceMigration } from '@baton/messaging';
import { notifierMigrations } from './read-model/migrations';
import { NOTIFIER_SCHEMA } from './read-model/notifier.tables';

/** What the one-shot migration (`npm run migrate`, docker compose's `migrate`) brings up to date for the notifier; start-up repeats it. */
export const migration: ServiceMigration = { service: 'notifier', schema: NOTIFIER_SCHEMA, migrations: notifierMigrations };
