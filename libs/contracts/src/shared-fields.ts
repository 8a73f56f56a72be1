import { z } from 'zod';
import { ActorSchema } from './envelope';

/**
 * Field schemas and field groups several services' messages share, so that each is written once:
 * the two id formats, a list query's `limit`, and the fields of a resolution (resolve-conflict,
 * resolve-escalation and the events they record).
 */

/** The id of a task, run, stage task or agent: letters, digits, dot, dash or underscore (1-128 chars). */
export const NameId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'use letters, digits, dot, dash or underscore (1-128 chars)');

/** The id of a record a service keeps (escalation, conflict, handoff, delivery); a colon is allowed too (1-200 chars). */
export const RecordId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'use letters, digits, dot, colon, dash or underscore (1-200 chars)');

/** How many items a list query answers with: 100 unless asked, at most 1000. */
export const ListLimit = z.number().int().min(1).max(1000).default(100);

/** The data of a list query: its filters (each optional), then `limit`. */
export function listQuery<F extends z.ZodRawShape>(filters: F) {
  return z.strictObject({ ...filters, limit: ListLimit });
}

/** What a resolve command gives besides its verdict: why, and for a reassignment, to whom. */
export const ResolutionRequestFields = {
  reason: z.string().min(1).max(2000),
  reassignTo: RecordId.optional(),
};

/** What a resolution event records besides its verdict: who resolved, why, the agent a reassignment went to, and when. */
export const ResolutionRecordFields = {
  by: ActorSchema,
  reason: z.string(),
  reassignTo: z.string().nullable(),
  resolvedAt: z.string(),
};
