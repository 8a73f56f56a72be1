import type { z } from 'zod';
import { eventReader } from '@baton/aggregate';
import { ConflictDetectedV1, ConflictNeedsDecisionV1, ConflictResolvedV1 } from '@baton/contracts';

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

const SCHEMAS = { ConflictDetected: ConflictDetectedV1, ConflictResolved: ConflictResolvedV1, ConflictNeedsDecision: ConflictNeedsDecisionV1 } as const satisfies Record<ConflictEventType, unknown>;

/** Reads a stored conflict event (version 1 is the only one). Unknown type or version: UNKNOWN_SCHEMA_VERSION. */
export const toConflictEvent = eventReader<ConflictEvent>('conflict', SCHEMAS);
