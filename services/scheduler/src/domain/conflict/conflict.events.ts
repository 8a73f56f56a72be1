import type { z } from 'zod';
import { BatonError, ConflictDetectedV1, ConflictNeedsDecisionV1, ConflictResolvedV1 } from '@baton/contracts';

export type ConflictDetectedData = z.infer<typeof ConflictDetectedV1>;
export type ConflictResolvedData = z.infer<typeof ConflictResolvedV1>;
export type ConflictNeedsDecisionData = z.infer<typeof ConflictNeedsDecisionV1>;

/** Events of the `conflict-<id>` stream (relayed to `baton.evt.conflict.<event>`). */
export type ConflictEvent =
  | { readonly type: 'ConflictDetected'; readonly data: ConflictDetectedData }
  | { readonly type: 'ConflictResolved'; readonly data: ConflictResolvedData }
  | { readonly type: 'ConflictNeedsDecision'; readonly data: ConflictNeedsDecisionData };

export type ConflictEventType = ConflictEvent['type'];

/** Every event type of the conflict aggregate, for subscriptions and filters. */
export const CONFLICT_EVENT_TYPES = ['ConflictDetected', 'ConflictResolved', 'ConflictNeedsDecision'] as const satisfies readonly ConflictEventType[];

const SCHEMAS = { ConflictDetected: ConflictDetectedV1, ConflictResolved: ConflictResolvedV1, ConflictNeedsDecision: ConflictNeedsDecisionV1 } as const;

function isConflictEventType(type: string): type is ConflictEventType {
  return (CONFLICT_EVENT_TYPES as readonly string[]).includes(type);
}

/** Reads a stored conflict event (version 1 is the only one). Unknown type or version: UNKNOWN_SCHEMA_VERSION. */
export function toConflictEvent(stored: { readonly type: string; readonly schemaVersion: number; readonly data: unknown }): ConflictEvent {
  if (stored.schemaVersion !== 1 || !isConflictEventType(stored.type)) {
    throw new BatonError('UNKNOWN_SCHEMA_VERSION', `conflict event ${stored.type} version ${stored.schemaVersion} is not known to this scheduler`, {
      type: stored.type,
      schemaVersion: stored.schemaVersion,
    });
  }
  const parsed = SCHEMAS[stored.type].safeParse(stored.data);
  if (!parsed.success) throw new BatonError('INTERNAL', `stored ${stored.type} v1 does not match its schema`, { issues: parsed.error.issues });
  return { type: stored.type, data: parsed.data } as ConflictEvent;
}
