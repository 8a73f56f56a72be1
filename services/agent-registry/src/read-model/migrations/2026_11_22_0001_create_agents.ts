import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('agent_registry');
  await createTable(s, 'agents', {
    agent_id: primaryKey('text'),
    name: 'text',
    role: notNull('text'),
    capabilities: notNull(sql`text[]`, { defaultTo: sql`'{}'` }),
    model: 'text',
    max_concurrency: notNull('integer'),
    peers: notNull(sql`text[]`, { defaultTo: sql`'{}'` }),
    lead: 'text',
    status: notNull('text', { check: sql`status IN ('available', 'busy', 'error', 'offline')` }),
    registered_at: notNull('timestamptz'),
    revision: notNull('integer'),
    updated_at: notNull('timestamptz'),
  }).execute();
  await s.createIndex('agents_role_idx').on('agents').column('role').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('agent_registry').dropTable('agents').execute();
}
