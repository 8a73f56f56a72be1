import { AgentRegisteredV1, BatonError, type AgentEvent, type AgentRegisteredData } from '@baton/contracts';

export type { AgentEvent, AgentRegisteredData };
export type AgentRegistered = Extract<AgentEvent, { type: 'AgentRegistered' }>;

/** Every event type of the agent aggregate, for subscriptions and filters. */
export const AGENT_EVENT_TYPES = ['AgentRegistered'] as const satisfies readonly AgentEvent['type'][];

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

/**
 * Reads a stored agent event into the current domain shape (the upcasting step: one case per
 * stored version, run before `evolve`). Throws UNKNOWN_SCHEMA_VERSION for anything else.
 */
export function toAgentEvent(stored: { readonly type: string; readonly schemaVersion: number; readonly data: unknown }): AgentEvent {
  if (stored.type === 'AgentRegistered' && stored.schemaVersion === 1) {
    const parsed = AgentRegisteredV1.safeParse(stored.data);
    if (!parsed.success) {
      throw new BatonError('INTERNAL', `stored AgentRegistered v1 does not match its schema`, { issues: parsed.error.issues });
    }
    return { type: 'AgentRegistered', data: parsed.data };
  }
  throw new UnknownAgentEventError(stored.type, stored.schemaVersion);
}
