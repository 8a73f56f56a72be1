import type { AgentRegisteredData } from './agent.events';

/** Before the first event of an `agent-<id>` stream. */
export interface UnregisteredAgent {
  readonly status: 'unregistered';
}

export interface RegisteredAgent {
  readonly status: 'registered';
  readonly agent: AgentRegisteredData;
}

export type AgentState = UnregisteredAgent | RegisteredAgent;

export const initialAgentState: AgentState = Object.freeze({ status: 'unregistered' });
