import { BatonError } from '@baton/contracts';
import type { AgentCommand, RegisterAgent } from './agent.commands';
import { AgentAlreadyRegisteredError, InvalidAgentError } from './agent.errors';
import type { AgentEvent } from './agent.events';
import { initialAgentState, type AgentState } from './agent.state';

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function register(command: RegisterAgent, state: AgentState): AgentEvent[] {
  const { data, metadata } = command;
  if (state.status === 'registered') throw new AgentAlreadyRegisteredError(state.agent.agentId);
  if (data.lead === data.agentId) {
    throw new InvalidAgentError(`agent ${data.agentId} cannot be its own lead`, { field: 'lead' });
  }
  if (data.peers.includes(data.agentId)) {
    throw new InvalidAgentError(`agent ${data.agentId} cannot be its own peer`, { field: 'peers' });
  }
  return [
    {
      type: 'AgentRegistered',
      data: {
        agentId: data.agentId,
        ...(data.name !== undefined ? { name: data.name } : {}),
        role: data.role,
        capabilities: unique(data.capabilities),
        ...(data.model !== undefined ? { model: data.model } : {}),
        maxConcurrency: data.maxConcurrency,
        peers: unique(data.peers),
        ...(data.lead !== undefined ? { lead: data.lead } : {}),
        registeredAt: metadata.now,
      },
    },
  ];
}

/**
 * The agent aggregate's decisions: the events a command produces from the current state,
 * or a domain error (CONFLICT, VALIDATION_FAILED). Pure: time comes in on the command.
 */
export function decide(command: AgentCommand, state: AgentState): AgentEvent[] {
  switch (command.type) {
    case 'RegisterAgent':
      return register(command, state);
    default: {
      const unhandled: never = command.type;
      throw new BatonError('INTERNAL', `unhandled agent command ${String(unhandled)}`);
    }
  }
}

/** The next state after one event. Pure. */
export function evolve(state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case 'AgentRegistered':
      return { status: 'registered', agent: event.data };
    default: {
      const unhandled: never = event.type;
      throw new BatonError('INTERNAL', `unhandled agent event ${String(unhandled)}`);
    }
  }
}

/** Folds a stream's events from the initial state. */
export function fold(events: readonly AgentEvent[]): AgentState {
  return events.reduce(evolve, initialAgentState);
}
