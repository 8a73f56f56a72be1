import {
  AgentEventSchemas,
  BatonError,
  type AgentCameOnlineData,
  type AgentEvent,
  type AgentRegisteredData,
  type AgentRemovedData,
  type AgentStateChangedData,
  type AgentUpdatedData,
  type AgentWentOfflineData,
} from '@baton/contracts';

export type { AgentEvent, AgentRegisteredData, AgentUpdatedData, AgentRemovedData, AgentStateChangedData, AgentWentOfflineData, AgentCameOnlineData };
export type AgentRegistered = Extract<AgentEvent, { type: 'AgentRegistered' }>;

/** Every event type of the agent aggregate, for subscriptions and filters. */
export const AGENT_EVENT_TYPES = [
  'AgentRegistered',
  'AgentUpdated',
  'AgentRemoved',
  'AgentStateChanged',
  'AgentWentOffline',
  'AgentCameOnline',
] as const satisfies readonly AgentEvent['type'][];

/** An event of the agent aggregate that this code does not know how to read. */
export class UnknownAgentEventError extends BatonError {
  constructor(type: string, schemaVersion: number) {
    super('UNKNOWN_SCHEMA_VERSION', `agent event ${type} version ${schemaVersion} is not known to this agent-registry`, {
      type,
      schemaVersion,
    });
    this.name = 'UnknownAgentEventError';
  }
}

function isAgentEventType(type: string): type is AgentEvent['type'] {
  return (AGENT_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Reads a stored agent event into the current domain shape (the upcasting step: one case per
 * stored version, run before `evolve`). Every type is at version 1 so far. Throws
 * UNKNOWN_SCHEMA_VERSION for anything else.
 */
export function toAgentEvent(stored: { readonly type: string; readonly schemaVersion: number; readonly data: unknown }): AgentEvent {
  if (!isAgentEventType(stored.type) || stored.schemaVersion !== 1) throw new UnknownAgentEventError(stored.type, stored.schemaVersion);
  const parsed = AgentEventSchemas[stored.type].safeParse(stored.data);
  if (!parsed.success) {
    throw new BatonError('INTERNAL', `stored ${stored.type} v1 does not match its schema`, { issues: parsed.error.issues });
  }
  return { type: stored.type, data: parsed.data } as AgentEvent;
}
