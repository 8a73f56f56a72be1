import type { ServiceMigration } from '@baton/messaging';
import { escalationMigrations } from './read-model/migrations';
import { ESCALATION_SCHEMA } from './read-model/escalation.tables';

/** What the one-shot migration (`npm run migrate`, docker compose's `migrate`) brings up to date for the escalation; start-up repeats it. */
export const migration: ServiceMigration = { service: 'escalation', schema: ESCALATION_SCHEMA, migrations: escalationMigrations };
