import { sql, type Kysely } from 'kysely';

/** Run timers may also be a workflow's run-level SLA (`run-sla`), next to stage SLAs and cron ticks. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE scheduler.run_timers DROP CONSTRAINT IF EXISTS run_timers_kind_check`.execute(db);
  await sql`ALTER TABLE scheduler.run_timers ADD CONSTRAINT run_timers_kind_check CHECK (kind IN ('stage-sla', 'run-sla', 'cron'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM scheduler.run_timers WHERE kind = 'run-sla'`.execute(db);
  await sql`ALTER TABLE scheduler.run_timers DROP CONSTRAINT IF EXISTS run_timers_kind_check`.execute(db);
  await sql`ALTER TABLE scheduler.run_timers ADD CONSTRAINT run_timers_kind_check CHECK (kind IN ('stage-sla', 'cron'))`.execute(db);
}
