import { eventReader, type AggregateSpec } from '@baton/aggregate';
import { agentStreamId, AgentEventSchemas } from '@baton/contracts';
import type { AgentCommand } from './agent.commands';
import { decide, evolve } from './agent.decider';
import type { AgentEvent } from './agent.events';
import { initialAgentState, type AgentState } from './agent.state';

/** Stored agent events read through the contract's schemas (every type at version 1 so far). */
export const readAgentEvent = eventReader<AgentEvent>('agent', AgentEventSchemas);

/** The agent aggregate as the command kernel runs it: one `agent-<id>` stream per agent. */
export const agentAggregate: AggregateSpec<AgentState, AgentCommand, AgentEvent> = {
  name: 'agent',
  streamId: agentStreamId,
  read: readAgentEvent,
  initialState: initialAgentState,
  evolve,
  decide,
};
