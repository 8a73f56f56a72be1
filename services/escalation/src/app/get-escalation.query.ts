import type { DataOf, EscalationView, ListEscalations } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { findEscalation, selectEscalations, toEscalationViewOfRow } from '../read-model/escalation.queries';
import type { EscalationDatabase } from '../read-model/escalation.tables';
import { EscalationNotFoundError } from '../domain';

/** GetEscalation: the projected escalation, or NOT_FOUND. */
export async function getEscalation(db: Kysely<EscalationDatabase>, escalationId: string): Promise<EscalationView> {
  const row = await findEscalation(db, escalationId);
  if (!row) throw new EscalationNotFoundError(escalationId);
  return toEscalationViewOfRow(row);
}

/** ListEscalations: escalations matching every given filter, newest first, at most `limit`. */
export async function listEscalations(db: Kysely<EscalationDatabase>, filter: DataOf<typeof ListEscalations>): Promise<EscalationView[]> {
  const rows = await selectEscalations(db, {
    ...(filter.status !== undefined ? { status: filter.status } : {}),
    ...(filter.runId !== undefined ? { runId: filter.runId } : {}),
    ...(filter.level !== undefined ? { level: filter.level } : {}),
    limit: filter.limit,
  });
  return rows.map(toEscalationViewOfRow);
}
