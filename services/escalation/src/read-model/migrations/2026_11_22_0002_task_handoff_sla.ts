import type { Kysely } from 'kysely';

/** The handoff SLA a task receives (`inputs.handoffSla` of TaskCreated), kept until its first assignment starts the clocks. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('baton_escalation').alterTable('tasks').addColumn('handoff_sla', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('baton_escalation').alterTable('tasks').dropColumn('handoff_sla').execute();
}
