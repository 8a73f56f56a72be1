import { eventReader } from '@baton/aggregate';
import { HandoffAcceptedV1, HandoffEventTypes, HandoffRejectedV1, HandoffSubmittedV1 } from '@baton/contracts';
import type { z } from 'zod';

export type HandoffSubmittedData = z.infer<typeof HandoffSubmittedV1>;
export type HandoffAcceptedData = z.infer<typeof HandoffAcceptedV1>;
export type HandoffRejectedData = z.infer<typeof HandoffRejectedV1>;

/** Every event of the `handoff-<handoffId>` stream (relayed to `baton.evt.handoff.<event>`). */
export type HandoffEvent =
  | { readonly type: 'HandoffSubmitted'; readonly data: HandoffSubmittedData }
  | { readonly type: 'HandoffAccepted'; readonly data: HandoffAcceptedData }
  | { readonly type: 'HandoffRejected'; readonly data: HandoffRejectedData };

/** Every event type of the handoff aggregate, for subscriptions and filters. */
export const HANDOFF_EVENT_TYPES = HandoffEventTypes satisfies readonly HandoffEvent['type'][];

/** The contract's schema of each handoff event type (every type at version 1 so far). */
export const HandoffEventSchemas = {
  HandoffSubmitted: HandoffSubmittedV1,
  HandoffAccepted: HandoffAcceptedV1,
  HandoffRejected: HandoffRejectedV1,
} as const satisfies { readonly [K in HandoffEvent['type']]: z.ZodType };

/**
 * Reads a stored handoff event into the domain shape, through the contract's schemas: an
 * unknown type or version throws UNKNOWN_SCHEMA_VERSION, data that does not match its schema
 * throws INTERNAL.
 */
export const toHandoffEvent = eventReader<HandoffEvent>('handoff', HandoffEventSchemas);
