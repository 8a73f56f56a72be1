import type { AgentWorkState } from '@baton/contracts';
import type { AgentRegisteredData } from './agent.events';

/** Before the first event of an `agent-<id>` stream. */
export interface UnregisteredAgent {
  readonly status: 'unregistered';
}

export interface RegisteredAgent {
  readonly status: 'registered';
  /** The profile: the registration with every later update applied. */
  readonly agent: AgentRegisteredData;
  /** Where the agent is in its state machine. */
  readonly state: AgentWorkState;
  /** The task named by the last state report, if any. */
  readonly taskId?: string;
  readonly online: boolean;
  /** Last sign of life the stream knows: registration or coming back online (ISO). */
  readonly lastSeenAt: string;
  /** True after going offline until the next state report: any state may then go to IDLE. */
  readonly resetAllowed: boolean;
}

/** Removed; registering the id again starts a new life on the same stream. */
export interface RemovedAgent {
  readonly status: 'removed';
  readonly agentId: string;
  readonly removedAt: string;
}

export type AgentState = UnregisteredAgent | RegisteredAgent | RemovedAgent;

export const initialAgentState: AgentState = Object.freeze({ status: 'unregistered' });
