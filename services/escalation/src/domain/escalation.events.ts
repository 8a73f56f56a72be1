import {
  BatonError,
  EscalationEventSchemas,
  EscalationEventTypes,
  type EscalationEvent,
  type EscalationLevelRaisedData,
  type EscalationRaisedData,
  type EscalationResolvedData,
} from '@baton/contracts';

export type { EscalationEvent, EscalationRaisedData, EscalationLevelRaisedData, EscalationResolvedData };

/** An event of the escalation aggregate that this code does not know how to read. */
export class UnknownEscalationEventError extends BatonError {
  constructor(type: string, schemaVersion: number) {
    super('UNKNOWN_SCHEMA_VERSION', `escalation event ${type} version ${schemaVersion} is not known to this escalation service`, { type, schemaVersion });
    this.name = 'UnknownEscalationEventError';
  }
}

function isEscalationEventType(type: string): type is EscalationEvent['type'] {
  return (EscalationEventTypes as readonly string[]).includes(type);
}

/**
 * Reads a stored escalation event into the current domain shape (the upcasting step: one case
 * per stored version, run before `evolve`). Every type is at version 1 so far.
 */
export function toEscalationEvent(stored: { readonly type: string; readonly schemaVersion: number; readonly data: unknown }): EscalationEvent {
  if (!isEscalationEventType(stored.type) || stored.schemaVersion !== 1) throw new UnknownEscalationEventError(stored.type, stored.schemaVersion);
  const parsed = EscalationEventSchemas[stored.type].safeParse(stored.data);
  if (!parsed.success) {
    throw new BatonError('INTERNAL', `stored ${stored.type} v1 does not match its schema`, { issues: parsed.error.issues });
  }
  return { type: stored.type, data: parsed.data } as EscalationEvent;
}
