import type { ServiceMigration } from '@baton/messaging';
import { handoffMigrations } from './read-model/migrations';
import { HANDOFF_SCHEMA } from './read-model/handoffs.table';

/** What the one-shot migration (`npm run migrate`, docker compose's `migrate`) brings up to date for the handoff-validator; start-up repeats it. */
export const migration: ServiceMigration = { service: 'handoff-validator', schema: HANDOFF_SCHEMA, migrations: handoffMigrations };
