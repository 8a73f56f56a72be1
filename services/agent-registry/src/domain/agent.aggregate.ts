import { contractAggregate } from '@baton/aggregate';
import { agentStreamId, AgentEventSchemas } from '@baton/contracts';
import type { AgentCommand } from './agent.commands';
import { decide, evolve } from './agent.decider';
import type { AgentEvent } from './agent.events';
import { initialAgentState, type AgentState } from './agent.state';

/** The agent aggregate as the command kernel runs it: one `agent-<id>` stream per agent. */
export const agentAggregate = contractAggregate<AgentState, AgentCommand, AgentEvent>('agent', AgentEventSchemas, {
  streamId: agentStreamId,
  initialState: initialAgentState,
  evolve,
  decide,
});

/** Stored agent events read through the contract's schemas (every type at version 1 so far). */
export const readAgentEvent = agentAggregate.read;
