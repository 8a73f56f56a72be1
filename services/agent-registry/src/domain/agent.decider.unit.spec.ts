import { RegisterAgentV1, type RegisterAgentData } from '@baton/contracts';
import type { RegisterAgent } from './agent.commands';
import { decide, evolve, fold } from './agent.decider';
import type { AgentEvent } from './agent.events';
import { toAgentEvent } from './agent.events';
import { initialAgentState } from './agent.state';

const NOW = '2026-11-22T09:00:00.000Z';

function registerAgent(data: Partial<RegisterAgentData> & { agentId: string }, commandId = 'cmd-1'): RegisterAgent {
  return {
    type: 'RegisterAgent',
    data: RegisterAgentV1.parse({ role: 'backend', ...data }),
    metadata: { commandId, now: NOW },
  };
}

/** given past events, when a command, then these events (or this error). */
function given(events: AgentEvent[]) {
  const state = fold(events);
  return {
    when: (command: RegisterAgent) => ({
      then: (expected: AgentEvent[]) => expect(decide(command, state)).toEqual(expected),
      thenThrows: (match: Record<string, unknown>) => expect(() => decide(command, state)).toThrow(expect.objectContaining(match)),
    }),
  };
}

const registered = (agentId: string): AgentEvent => ({
  type: 'AgentRegistered',
  data: { agentId, role: 'backend', capabilities: [], maxConcurrency: 1, peers: [], registeredAt: NOW },
});

describe('agent decider: RegisterAgent', () => {
  it('registers a new agent with its defaults and the time from the command', () => {
    given([])
      .when(registerAgent({ agentId: 'MCT-BE-001', name: 'Backend', capabilities: ['node', 'sql'], peers: ['MCT-FE-001'], lead: 'MCT-ARCH-001' }))
      .then([
        {
          type: 'AgentRegistered',
          data: {
            agentId: 'MCT-BE-001',
            name: 'Backend',
            role: 'backend',
            capabilities: ['node', 'sql'],
            maxConcurrency: 1,
            peers: ['MCT-FE-001'],
            lead: 'MCT-ARCH-001',
            registeredAt: NOW,
          },
        },
      ]);
  });

  it('drops repeated capabilities and peers, keeping their first order', () => {
    given([])
      .when(registerAgent({ agentId: 'a1', capabilities: ['sql', 'node', 'sql'], peers: ['b', 'c', 'b'] }))
      .then([
        {
          type: 'AgentRegistered',
          data: { agentId: 'a1', role: 'backend', capabilities: ['sql', 'node'], maxConcurrency: 1, peers: ['b', 'c'], registeredAt: NOW },
        },
      ]);
  });

  it('rejects an agent id that is already registered with CONFLICT', () => {
    given([registered('a1')])
      .when(registerAgent({ agentId: 'a1' }, 'cmd-2'))
      .thenThrows({ code: 'CONFLICT', name: 'AgentAlreadyRegisteredError', details: { agentId: 'a1' } });
  });

  it('rejects an agent that leads itself', () => {
    given([]).when(registerAgent({ agentId: 'a1', lead: 'a1' })).thenThrows({ code: 'VALIDATION_FAILED', details: { field: 'lead' } });
  });

  it('rejects an agent that is its own peer', () => {
    given([]).when(registerAgent({ agentId: 'a1', peers: ['a2', 'a1'] })).thenThrows({ code: 'VALIDATION_FAILED', details: { field: 'peers' } });
  });
});

describe('agent evolve', () => {
  it('starts unregistered', () => {
    expect(fold([])).toEqual({ status: 'unregistered' });
    expect(fold([])).toBe(initialAgentState);
  });

  it('AgentRegistered makes the agent registered with the event data', () => {
    const event = registered('a1');
    expect(evolve(initialAgentState, event)).toEqual({ status: 'registered', agent: event.data });
  });
});

describe('toAgentEvent (reading stored events)', () => {
  it('reads a stored AgentRegistered v1 sample', () => {
    const stored = JSON.parse(
      '{"type":"AgentRegistered","schemaVersion":1,"data":{"agentId":"a1","role":"qa","capabilities":["e2e"],"maxConcurrency":2,"peers":[],"registeredAt":"2026-11-22T09:00:00.000Z"}}',
    ) as { type: string; schemaVersion: number; data: unknown };
    expect(toAgentEvent(stored)).toEqual({
      type: 'AgentRegistered',
      data: { agentId: 'a1', role: 'qa', capabilities: ['e2e'], maxConcurrency: 2, peers: [], registeredAt: '2026-11-22T09:00:00.000Z' },
    });
  });

  it('refuses unknown types and versions with UNKNOWN_SCHEMA_VERSION', () => {
    expect(() => toAgentEvent({ type: 'AgentRegistered', schemaVersion: 2, data: {} })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }),
    );
    expect(() => toAgentEvent({ type: 'AgentTeleported', schemaVersion: 1, data: {} })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }),
    );
  });
});
