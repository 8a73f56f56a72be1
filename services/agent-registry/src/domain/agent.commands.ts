import type { CommandMetadata } from '@baton/aggregate';
import type { AgentWorkState, RegisterAgentData, UpdateAgentData } from '@baton/contracts';

export type { CommandMetadata };

export interface RegisterAgent {
  readonly type: 'RegisterAgent';
  readonly data: RegisterAgentData;
  readonly metadata: CommandMetadata;
}

/** Changes the agent's profile; only the given fields, `null` clears an optional one. */
export interface UpdateAgent {
  readonly type: 'UpdateAgent';
  readonly data: UpdateAgentData;
  readonly metadata: CommandMetadata;
}

export interface RemoveAgent {
  readonly type: 'RemoveAgent';
  readonly data: { readonly agentId: string };
  readonly metadata: CommandMetadata;
}

/** The agent reports a move of its state machine. */
export interface ReportAgentState {
  readonly type: 'ReportAgentState';
  readonly data: { readonly agentId: string; readonly state: AgentWorkState; readonly taskId?: string; readonly reset?: boolean };
  readonly metadata: CommandMetadata;
}

/** A heartbeat arrived (sent by the adapter only when the agent may be offline; see the decider). */
export interface RecordHeartbeat {
  readonly type: 'RecordHeartbeat';
  readonly data: { readonly agentId: string };
  readonly metadata: CommandMetadata;
}

/**
 * A heartbeat timer fell due. `lastHeartbeatAt` is the stored last heartbeat (null when none
 * since registration); the agent goes offline only if it is still stale at `metadata.now`.
 */
export interface MarkAgentOffline {
  readonly type: 'MarkAgentOffline';
  readonly data: { readonly agentId: string; readonly lastHeartbeatAt: string | null; readonly windowMs: number };
  readonly metadata: CommandMetadata;
}

/** Every command of the agent aggregate. */
export type AgentCommand = RegisterAgent | UpdateAgent | RemoveAgent | ReportAgentState | RecordHeartbeat | MarkAgentOffline;
