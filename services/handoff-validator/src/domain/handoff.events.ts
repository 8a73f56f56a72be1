import { BatonError, HandoffAcceptedV1, HandoffEventTypes, HandoffRejectedV1, HandoffSubmittedV1 } from '@baton/contracts';
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

const HandoffEventSchemas = {
  HandoffSubmitted: HandoffSubmittedV1,
  HandoffAccepted: HandoffAcceptedV1,
  HandoffRejected: HandoffRejectedV1,
} as const satisfies { readonly [K in HandoffEvent['type']]: z.ZodType };

/** A stored handoff event this code does not know how to read. Code UNKNOWN_SCHEMA_VERSION. */
export class UnknownHandoffEventError extends BatonError {
  constructor(type: string, schemaVersion: number) {
    super('UNKNOWN_SCHEMA_VERSION', `handoff event ${type} version ${schemaVersion} is not known to this handoff-validator`, {
      type,
      schemaVersion,
    });
    this.name = 'UnknownHandoffEventError';
  }
}

function isHandoffEventType(type: string): type is HandoffEvent['type'] {
  return (HANDOFF_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Reads a stored handoff event into the current domain shape (the upcasting step: one case per
 * stored version, run before `evolve`). Every type is at version 1 so far; anything else throws
 * UNKNOWN_SCHEMA_VERSION, and data that does not match its schema throws INTERNAL.
 */
export function toHandoffEvent(stored: { readonly type: string; readonly schemaVersion: number; readonly data: unknown }): HandoffEvent {
  if (!isHandoffEventType(stored.type) || stored.schemaVersion !== 1) throw new UnknownHandoffEventError(stored.type, stored.schemaVersion);
  const parsed = HandoffEventSchemas[stored.type].safeParse(stored.data);
  if (!parsed.success) {
    throw new BatonError('INTERNAL', `stored ${stored.type} v1 does not match its schema`, { issues: parsed.error.issues });
  }
  return { type: stored.type, data: parsed.data } as HandoffEvent;
}
