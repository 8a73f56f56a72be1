import { Cron } from 'croner';
import type { WorkflowTrigger } from './workflow.model';

/** Result of {@link validateCron}: ok, or croner's reason. */
export type CronCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks a cron expression (5, 6 or 7 fields, croner syntax) and optional IANA time zone
 * without starting any timer.
 *
 * @example validateCron('*\/5 * * * *') // { ok: true }
 */
export function validateCron(expression: string, timezone: string | null = null): CronCheck {
  try {
    const cron = new Cron(expression, { paused: true, ...(timezone === null ? {} : { timezone }) });
    // Computing one run also validates the time zone, which croner checks lazily.
    cron.nextRun(new Date(0));
    cron.stop();
    return { ok: true };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: message.replace(/^Cron(Pattern|Date): /, '').split('. Original error')[0] ?? message };
  }
}

/**
 * The first time strictly after `after` at which a scheduled workflow should start, or null for
 * triggers that are not schedules (or a schedule with no future run). Pure: the caller passes the
 * current time, and persists the answer (the scheduler must not keep timers per replica).
 *
 * @example nextRunAfter({ kind: 'schedule', cron: '0 9 * * MON-FRI', timezone: 'UTC' }, new Date('2026-11-22T10:00:00Z'))
 *   // 2026-11-23T09:00:00.000Z
 */
export function nextRunAfter(trigger: WorkflowTrigger, after: Date): Date | null {
  if (trigger.kind !== 'schedule') return null;
  const cron = new Cron(trigger.cron, { paused: true, ...(trigger.timezone === null ? { timezone: 'UTC' } : { timezone: trigger.timezone }) });
  try {
    return cron.nextRun(after);
  } finally {
    cron.stop();
  }
}
