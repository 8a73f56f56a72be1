import { agentChangeOf } from './agents.projection';

describe('reading agent-registry events (lenient, by type name)', () => {
  it('keeps what assignment needs from AgentRegistered, with defaults', () => {
    expect(agentChangeOf({ type: 'AgentRegistered', data: { agentId: 'a1', role: 'backend', peers: [], registeredAt: 'x', model: 'm' } })).toEqual({
      kind: 'registered',
      agentId: 'a1',
      role: 'backend',
      capabilities: [],
      maxConcurrency: 1,
    });
  });

  it('reads AgentUpdated changes, and the liveness events', () => {
    expect(agentChangeOf({ type: 'AgentUpdated', data: { agentId: 'a1', changes: { capabilities: ['go'], name: 'x' }, updatedAt: 'x' } })).toEqual({
      kind: 'updated',
      agentId: 'a1',
      capabilities: ['go'],
    });
    expect(agentChangeOf({ type: 'AgentWentOffline', data: { agentId: 'a1', lastHeartbeatAt: 'x', at: 'y' } })).toEqual({ kind: 'went-offline', agentId: 'a1' });
    expect(agentChangeOf({ type: 'AgentCameOnline', data: { agentId: 'a1' } })).toEqual({ kind: 'came-online', agentId: 'a1' });
    expect(agentChangeOf({ type: 'AgentRemoved', data: { agentId: 'a1', removedAt: 'x' } })).toEqual({ kind: 'removed', agentId: 'a1' });
  });

  it('ignores event types it does not use and rejects malformed ones', () => {
    expect(agentChangeOf({ type: 'AgentStateChanged', data: { agentId: 'a1' } })).toBeUndefined();
    expect(() => agentChangeOf({ type: 'AgentRegistered', data: { agentId: 'a1' } })).toThrow();
  });
});
