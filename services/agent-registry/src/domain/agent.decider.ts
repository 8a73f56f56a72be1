import { decideByType, unhandled } from '@baton/aggregate';
import { BatonError, type AgentUpdatedData } from '@baton/contracts';
import type {
  AgentCommand,
  MarkAgentOffline,
  RecordHeartbeat,
  RegisterAgent,
  RemoveAgent,
  ReportAgentState,
  UpdateAgent,
} from './agent.commands';
import { AgentAlreadyRegisteredError, AgentNotFoundError, IllegalAgentTransitionError, InvalidAgentError } from './agent.errors';
import type { AgentEvent, AgentRegisteredData } from './agent.events';
import { AGENT_TRANSITIONS, isLegalTransition } from './agent.state-machine';
import type { AgentState, RegisteredAgent } from './agent.state';

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((v) => sb.has(v));
}

function registered(state: AgentState, agentId: string): RegisteredAgent {
  if (state.status !== 'registered') throw new AgentNotFoundError(agentId);
  return state;
}

function checkRelations(agentId: string, lead: string | null | undefined, peers: readonly string[] | undefined): void {
  if (lead === agentId) throw new InvalidAgentError(`agent ${agentId} cannot be its own lead`, { field: 'lead' });
  if (peers?.includes(agentId)) throw new InvalidAgentError(`agent ${agentId} cannot be its own peer`, { field: 'peers' });
}

function register(command: RegisterAgent, state: AgentState): AgentEvent[] {
  const { data, metadata } = command;
  if (state.status === 'registered') throw new AgentAlreadyRegisteredError(state.agent.agentId);
  checkRelations(data.agentId, data.lead, data.peers);
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

/** The fields of the command that differ from the profile; capabilities and peers compare as sets. */
function changesOf(command: UpdateAgent, agent: AgentRegisteredData): AgentUpdatedData['changes'] {
  const d = command.data;
  const changes: { -readonly [K in keyof AgentUpdatedData['changes']]: AgentUpdatedData['changes'][K] } = {};
  if (d.name !== undefined && d.name !== (agent.name ?? null)) changes.name = d.name;
  if (d.role !== undefined && d.role !== agent.role) changes.role = d.role;
  if (d.capabilities !== undefined && !sameSet(d.capabilities, agent.capabilities)) changes.capabilities = unique(d.capabilities);
  if (d.model !== undefined && d.model !== (agent.model ?? null)) changes.model = d.model;
  if (d.maxConcurrency !== undefined && d.maxConcurrency !== agent.maxConcurrency) changes.maxConcurrency = d.maxConcurrency;
  if (d.peers !== undefined && !sameSet(d.peers, agent.peers)) changes.peers = unique(d.peers);
  if (d.lead !== undefined && d.lead !== (agent.lead ?? null)) changes.lead = d.lead;
  return changes;
}

function update(command: UpdateAgent, state: AgentState): AgentEvent[] {
  const current = registered(state, command.data.agentId);
  checkRelations(command.data.agentId, command.data.lead, command.data.peers);
  const changes = changesOf(command, current.agent);
  if (Object.keys(changes).length === 0) return [];
  return [{ type: 'AgentUpdated', data: { agentId: command.data.agentId, changes, updatedAt: command.metadata.now } }];
}

function remove(command: RemoveAgent, state: AgentState): AgentEvent[] {
  registered(state, command.data.agentId);
  return [{ type: 'AgentRemoved', data: { agentId: command.data.agentId, removedAt: command.metadata.now } }];
}

function reportState(command: ReportAgentState, state: AgentState): AgentEvent[] {
  const { agentId, state: to, taskId, reset } = command.data;
  const current = registered(state, agentId);
  const from = current.state;
  if (from === to) return [];
  const resetting = to === 'IDLE' && (reset === true || current.resetAllowed);
  if (!resetting && !isLegalTransition(from, to)) {
    throw new IllegalAgentTransitionError(agentId, from, to, AGENT_TRANSITIONS[from]);
  }
  return [{ type: 'AgentStateChanged', data: { agentId, from, to, ...(taskId !== undefined ? { taskId } : {}), at: command.metadata.now } }];
}

function recordHeartbeat(command: RecordHeartbeat, state: AgentState): AgentEvent[] {
  const current = registered(state, command.data.agentId);
  if (current.online) return [];
  return [{ type: 'AgentCameOnline', data: { agentId: command.data.agentId, at: command.metadata.now } }];
}

function markOffline(command: MarkAgentOffline, state: AgentState): AgentEvent[] {
  // A timer may outlive its agent (removed between arming and firing): nothing to do.
  if (state.status !== 'registered' || !state.online) return [];
  const stored = command.data.lastHeartbeatAt;
  const lastSeen = stored !== null && Date.parse(stored) > Date.parse(state.lastSeenAt) ? stored : state.lastSeenAt;
  const staleFor = Date.parse(command.metadata.now) - Date.parse(lastSeen);
  if (staleFor < command.data.windowMs) return [];
  return [{ type: 'AgentWentOffline', data: { agentId: command.data.agentId, lastHeartbeatAt: lastSeen, at: command.metadata.now } }];
}

/**
 * The agent aggregate's decisions: the events a command produces from the current state,
 * or a domain error (CONFLICT, NOT_FOUND, VALIDATION_FAILED, ILLEGAL_TRANSITION). An empty
 * list means the command changes nothing (idempotent). Pure: time comes in on the command.
 */
export const decide = decideByType<AgentCommand, AgentState, AgentEvent>('agent', {
  RegisterAgent: register,
  UpdateAgent: update,
  RemoveAgent: remove,
  ReportAgentState: reportState,
  RecordHeartbeat: recordHeartbeat,
  MarkAgentOffline: markOffline,
});

function applyChanges(agent: AgentRegisteredData, changes: AgentUpdatedData['changes']): AgentRegisteredData {
  const { name, model, lead, ...rest } = { ...agent };
  const next: AgentRegisteredData = {
    ...rest,
    ...(changes.role !== undefined ? { role: changes.role } : {}),
    ...(changes.capabilities !== undefined ? { capabilities: changes.capabilities } : {}),
    ...(changes.maxConcurrency !== undefined ? { maxConcurrency: changes.maxConcurrency } : {}),
    ...(changes.peers !== undefined ? { peers: changes.peers } : {}),
  };
  const pick = (current: string | undefined, change: string | null | undefined): string | undefined =>
    change === undefined ? current : (change ?? undefined);
  const n = pick(name, changes.name);
  const m = pick(model, changes.model);
  const l = pick(lead, changes.lead);
  return { ...next, ...(n !== undefined ? { name: n } : {}), ...(m !== undefined ? { model: m } : {}), ...(l !== undefined ? { lead: l } : {}) };
}

function whileRegistered(state: AgentState, eventType: string, f: (s: RegisteredAgent) => AgentState): AgentState {
  if (state.status !== 'registered') throw new BatonError('INTERNAL', `${eventType} on an agent that is ${state.status}`);
  return f(state);
}

/** The next state after one event. Pure. */
export function evolve(state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case 'AgentRegistered':
      return { status: 'registered', agent: event.data, state: 'IDLE', online: true, lastSeenAt: event.data.registeredAt, resetAllowed: false };
    case 'AgentUpdated':
      return whileRegistered(state, event.type, (s) => ({ ...s, agent: applyChanges(s.agent, event.data.changes) }));
    case 'AgentRemoved':
      return { status: 'removed', agentId: event.data.agentId, removedAt: event.data.removedAt };
    case 'AgentStateChanged':
      return whileRegistered(state, event.type, ({ taskId: _previous, ...s }) => ({
        ...s,
        state: event.data.to,
        ...(event.data.taskId !== undefined ? { taskId: event.data.taskId } : {}),
        resetAllowed: false,
      }));
    case 'AgentWentOffline':
      return whileRegistered(state, event.type, (s) => ({ ...s, online: false, resetAllowed: true }));
    case 'AgentCameOnline':
      return whileRegistered(state, event.type, (s) => ({ ...s, online: true, lastSeenAt: event.data.at }));
    default:
      return unhandled('agent', 'event', event);
  }
}
