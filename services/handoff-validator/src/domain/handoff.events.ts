import { eventReader } from '@baton/aggregate';
import { HandoffEventSchemas, HandoffEventTypes, type HandoffEvent } from '@baton/contracts';
import type { z } from 'zod';

export type { HandoffEvent } from '@baton/contracts';
export type HandoffSubmittedData = z.infer<typeof HandoffEventSchemas.HandoffSubmitted>;
export type HandoffAcceptedData = z.infer<typeof HandoffEventSchemas.HandoffAccepted>;
export type HandoffRejectedData = z.infer<typeof HandoffEventSchemas.HandoffRejected>;

/** Every event type of the handoff aggregate, for subscriptions and filters. */
export const HANDOFF_EVENT_TYPES = HandoffEventTypes satisfies readonly HandoffEvent['type'][];

/**
 * Reads a stored handoff event into the domain shape, through the contract's schemas: an
 * unknown type or version throws UNKNOWN_SCHEMA_VERSION, data that does not match its schema
 * throws INTERNAL.
 */
export const toHandoffEvent = eventReader<HandoffEvent>('handoff', HandoffEventSchemas);
