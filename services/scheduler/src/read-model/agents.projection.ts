import { z } from 'zod';
import type { RecordedEvent } from '@baton/contracts';
import type { Kysely } from 'kysely';
import type { SchedulerDatabase } from './scheduler.tables';

/**
 * The scheduler's own, lenient reading of the agent-registry's events (`baton.evt.agent.*`).
 * The scheduler keeps only what assignment needs (role, capabilities, max concurrency, online,
 * removed), reads each event by type name, and ignores fields and types it does not use, so
 * the registry can add to its events without breaking the scheduler.
 */
const Id = z.string().min(1).max(200);
const AgentRegistered = z.object({
  agentId: Id,
  role: z.string().min(1),
  capabilities: z.array(z.string()).default([]),
  maxConcurrency: z.number().int().min(1).default(1),
});
const AgentUpdated = z.object({
  agentId: Id,
  changes: z
    .object({
      role: z.string().min(1).optional(),
      capabilities: z.array(z.string()).optional(),
      maxConcurrency: z.number().int().min(1).optional(),
    })
    .default({}),
});
const AgentOnly = z.object({ agentId: Id });

/** What an agent event means for the scheduler's `scheduler.agents` row. */
export type AgentChange =
  | { readonly kind: 'registered'; readonly agentId: string; readonly role: string; readonly capabilities: string[]; readonly maxConcurrency: number }
  | { readonly kind: 'updated'; readonly agentId: string; readonly role?: string; readonly capabilities?: string[]; readonly maxConcurrency?: number }
  | { readonly kind: 'removed'; readonly agentId: string }
  | { readonly kind: 'went-offline'; readonly agentId: string }
  | { readonly kind: 'came-online'; readonly agentId: string };

/** Reads an agent event by type; undefined for types the scheduler does not use. Throws VALIDATION_FAILED-coded errors via zod when malformed. */
export function agentChangeOf(event: Pick<RecordedEvent, 'type' | 'data'>): AgentChange | undefined {
  switch (event.type) {
    case 'AgentRegistered': {
      const d = AgentRegistered.parse(event.data);
      return { kind: 'registered', agentId: d.agentId, role: d.role, capabilities: d.capabilities, maxConcurrency: d.maxConcurrency };
    }
    case 'AgentUpdated': {
      const d = AgentUpdated.parse(event.data);
      return { kind: 'updated', agentId: d.agentId, ...d.changes };
    }
    case 'AgentRemoved':
      return { kind: 'removed', agentId: AgentOnly.parse(event.data).agentId };
    case 'AgentWentOffline':
      return { kind: 'went-offline', agentId: AgentOnly.parse(event.data).agentId };
    case 'AgentCameOnline':
      return { kind: 'came-online', agentId: AgentOnly.parse(event.data).agentId };
    default:
      return undefined;
  }
}

/**
 * Applies one agent event to `scheduler.agents`, only if it is newer (by stream revision) than
 * what the row already reflects, so redeliveries and reordering change nothing. Returns the
 * change applied, or undefined when there was nothing to do.
 */
export async function applyAgentEvent(db: Kysely<SchedulerDatabase>, event: RecordedEvent): Promise<AgentChange | undefined> {
  const change = agentChangeOf(event);
  if (!change) return undefined;
  const at = new Date(event.metadata.occurredAt);
  const updatedAt = Number.isNaN(at.getTime()) ? new Date(0) : at;
  const newer = { revision: event.revision, updated_at: updatedAt };
  switch (change.kind) {
    case 'registered': {
      const values = {
        agent_id: change.agentId,
        role: change.role,
        capabilities: change.capabilities,
        max_concurrency: change.maxConcurrency,
        online: true,
        removed: false,
        ...newer,
      };
      const { agent_id: _id, ...rest } = values;
      const r = await db
        .insertInto('scheduler.agents')
        .values(values)
        .onConflict((oc) => oc.column('agent_id').doUpdateSet(rest).where('scheduler.agents.revision', '<', event.revision))
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0 ? change : undefined;
    }
    case 'updated':
    case 'removed':
    case 'went-offline':
    case 'came-online': {
      const set =
        change.kind === 'updated'
          ? {
              ...(change.role !== undefined ? { role: change.role } : {}),
              ...(change.capabilities !== undefined ? { capabilities: change.capabilities } : {}),
              ...(change.maxConcurrency !== undefined ? { max_concurrency: change.maxConcurrency } : {}),
            }
          : change.kind === 'removed'
            ? { removed: true, online: false }
            : { online: change.kind === 'came-online' };
      const r = await db
        .updateTable('scheduler.agents')
        .set({ ...set, ...newer })
        .where('agent_id', '=', change.agentId)
        .where('revision', '<', event.revision)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0 ? change : undefined;
    }
    default: {
      const unhandled: never = change;
      return unhandled;
    }
  }
}
