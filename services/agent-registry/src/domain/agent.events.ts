import type { AgentEvent } from '@baton/contracts';

export type {
  AgentCameOnlineData,
  AgentEvent,
  AgentRegisteredData,
  AgentRemovedData,
  AgentStateChangedData,
  AgentUpdatedData,
  AgentWentOfflineData,
} from '@baton/contracts';
export type AgentRegistered = Extract<AgentEvent, { type: 'AgentRegistered' }>;
