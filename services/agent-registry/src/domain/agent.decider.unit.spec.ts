import { deciderSpec, foldWith } from '@baton/aggregate';
import { RegisterAgentV1, type AgentWorkState, type RegisterAgentData, type UpdateAgentData } from '@baton/contracts';
import { agentAggregate, readAgentEvent } from './agent.aggregate';
import type { AgentCommand, CommandMetadata, RegisterAgent } from './agent.commands';
import { evolve } from './agent.decider';
import type { AgentEvent } from './agent.events';
import { initialAgentState } from './agent.state';
import { CONSECUTIVE_FAILURES_FOR_ERROR, deriveStatus } from './agent.status';

const NOW = '2026-11-22T09:00:00.000Z';

function registerAgent(data: Partial<RegisterAgentData> & { agentId: string }, commandId = 'cmd-1'): RegisterAgent {
  return {
    type: 'RegisterAgent',
    data: RegisterAgentV1.parse({ role: 'backend', ...data }),
    metadata: { commandId, now: NOW },
  };
}

const { given } = deciderSpec(agentAggregate);
const fold = (events: readonly AgentEvent[]) => foldWith(agentAggregate, events);

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
      .thenThrows('CONFLICT', /^agent a1 is already registered$/);
  });

  it('rejects an agent that leads itself', () => {
    given([]).when(registerAgent({ agentId: 'a1', lead: 'a1' })).thenThrows('VALIDATION_FAILED', /cannot be its own lead/);
  });

  it('rejects an agent that is its own peer', () => {
    given([]).when(registerAgent({ agentId: 'a1', peers: ['a2', 'a1'] })).thenThrows('VALIDATION_FAILED', /cannot be its own peer/);
  });
});

describe('agent evolve', () => {
  it('starts unregistered', () => {
    expect(fold([])).toEqual({ status: 'unregistered' });
    expect(fold([])).toBe(initialAgentState);
  });

  it('AgentRegistered makes the agent registered with the event data', () => {
    const event = registered('a1');
    expect(evolve(initialAgentState, event)).toEqual({
      status: 'registered',
      agent: event.data,
      state: 'IDLE',
      online: true,
      lastSeenAt: NOW,
      resetAllowed: false,
    });
  });
});

describe('readAgentEvent (reading stored events)', () => {
  it('reads a stored AgentRegistered v1 sample', () => {
    const stored = JSON.parse(
      '{"type":"AgentRegistered","schemaVersion":1,"data":{"agentId":"a1","role":"qa","capabilities":["e2e"],"maxConcurrency":2,"peers":[],"registeredAt":"2026-11-22T09:00:00.000Z"}}',
    ) as { type: string; schemaVersion: number; data: unknown };
    expect(readAgentEvent(stored)).toEqual({
      type: 'AgentRegistered',
      data: { agentId: 'a1', role: 'qa', capabilities: ['e2e'], maxConcurrency: 2, peers: [], registeredAt: '2026-11-22T09:00:00.000Z' },
    });
  });

  it('refuses unknown types and versions with UNKNOWN_SCHEMA_VERSION', () => {
    expect(() => readAgentEvent({ type: 'AgentRegistered', schemaVersion: 2, data: {} })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }),
    );
    expect(() => readAgentEvent({ type: 'AgentTeleported', schemaVersion: 1, data: {} })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }),
    );
  });
});

const LATER = '2026-11-22T09:05:00.000Z';
const meta = (commandId = 'cmd-x', now = LATER): CommandMetadata => ({ commandId, now });
const full = (agentId: string): AgentEvent => ({
  type: 'AgentRegistered',
  data: { agentId, name: 'Dev', role: 'backend', capabilities: ['node', 'sql'], model: 'sonnet', maxConcurrency: 2, peers: ['p1'], lead: 'lead-1', registeredAt: NOW },
});
const changed = (agentId: string, from: AgentWorkState, to: AgentWorkState, at = LATER): AgentEvent => ({
  type: 'AgentStateChanged',
  data: { agentId, from, to, at },
});
const wentOffline = (agentId: string, at = LATER): AgentEvent => ({ type: 'AgentWentOffline', data: { agentId, lastHeartbeatAt: NOW, at } });

describe('agent decider: UpdateAgent', () => {
  const update = (data: Omit<UpdateAgentData, 'agentId'>, agentId = 'a1'): AgentCommand => ({ type: 'UpdateAgent', data: { agentId, ...data }, metadata: meta() });

  it('appends AgentUpdated with only the fields that changed', () => {
    given([full('a1')])
      .when(update({ capabilities: ['node', 'sql', 'redis'], maxConcurrency: 2, model: 'opus', lead: null }))
      .then([{ type: 'AgentUpdated', data: { agentId: 'a1', changes: { capabilities: ['node', 'sql', 'redis'], model: 'opus', lead: null }, updatedAt: LATER } }]);
  });

  it('appends nothing when every given field already has that value (idempotent)', () => {
    given([full('a1')])
      .when(update({ name: 'Dev', role: 'backend', capabilities: ['sql', 'node', 'sql'], model: 'sonnet', maxConcurrency: 2, peers: ['p1'], lead: 'lead-1' }))
      .then([]);
  });

  it('changes peers, role and name, and clears the name with null', () => {
    given([full('a1')])
      .when(update({ peers: ['p2', 'p2'], role: 'qa', name: null }))
      .then([{ type: 'AgentUpdated', data: { agentId: 'a1', changes: { peers: ['p2'], role: 'qa', name: null }, updatedAt: LATER } }]);
  });

  it('evolve applies the changes to the profile, dropping cleared fields', () => {
    const state = fold([full('a1'), { type: 'AgentUpdated', data: { agentId: 'a1', changes: { model: null, maxConcurrency: 5, peers: [] }, updatedAt: LATER } }]);
    expect(state).toMatchObject({ status: 'registered', agent: { agentId: 'a1', name: 'Dev', maxConcurrency: 5, peers: [], lead: 'lead-1' } });
    expect(state.status === 'registered' && 'model' in state.agent).toBe(false);
  });

  it('rejects an unknown agent with NOT_FOUND and a self lead with VALIDATION_FAILED', () => {
    given([]).when(update({ role: 'qa' })).thenThrows('NOT_FOUND');
    given([full('a1')]).when(update({ lead: 'a1' })).thenThrows('VALIDATION_FAILED', /cannot be its own lead/);
    given([full('a1')]).when(update({ peers: ['a1'] })).thenThrows('VALIDATION_FAILED', /cannot be its own peer/);
  });
});

describe('agent decider: RemoveAgent', () => {
  const remove = (agentId = 'a1'): AgentCommand => ({ type: 'RemoveAgent', data: { agentId }, metadata: meta() });
  const removed: AgentEvent = { type: 'AgentRemoved', data: { agentId: 'a1', removedAt: LATER } };

  it('appends AgentRemoved for a registered agent', () => {
    given([full('a1')]).when(remove()).then([removed]);
  });

  it('answers NOT_FOUND for an agent never registered or already removed', () => {
    given([]).when(remove()).thenThrows('NOT_FOUND', /^agent a1 was not found$/);
    given([full('a1'), removed]).when(remove()).thenThrows('NOT_FOUND');
  });

  it('a removed agent may be registered again', () => {
    given([full('a1'), removed])
      .when(registerAgent({ agentId: 'a1' }))
      .then([{ type: 'AgentRegistered', data: { agentId: 'a1', role: 'backend', capabilities: [], maxConcurrency: 1, peers: [], registeredAt: NOW } }]);
    expect(fold([full('a1'), removed])).toEqual({ status: 'removed', agentId: 'a1', removedAt: LATER });
  });
});

describe('agent decider: ReportAgentState (the state machine)', () => {
  const report = (state: AgentWorkState, extra: { taskId?: string; reset?: boolean } = {}): AgentCommand => ({
    type: 'ReportAgentState',
    data: { agentId: 'a1', state, ...extra },
    metadata: meta(),
  });

  it('walks the legal path IDLE → ANALYZING → EXECUTING ⇄ BLOCKED → EXECUTING → HANDOFF → IDLE', () => {
    const path: AgentWorkState[] = ['IDLE', 'ANALYZING', 'EXECUTING', 'BLOCKED', 'EXECUTING', 'HANDOFF', 'IDLE'];
    const history: AgentEvent[] = [full('a1')];
    for (let i = 1; i < path.length; i++) {
      const events = given(history).when(report(path[i]!, { taskId: 't-1' })).events();
      expect(events).toEqual([{ type: 'AgentStateChanged', data: { agentId: 'a1', from: path[i - 1], to: path[i], taskId: 't-1', at: LATER } }]);
      history.push(...events);
    }
    expect(fold(history)).toMatchObject({ state: 'IDLE', taskId: 't-1' });
  });

  it.each([
    ['IDLE', 'EXECUTING', []],
    ['IDLE', 'HANDOFF', []],
    ['ANALYZING', 'BLOCKED', ['ANALYZING']],
    ['EXECUTING', 'IDLE', ['ANALYZING', 'EXECUTING']],
    ['BLOCKED', 'HANDOFF', ['ANALYZING', 'EXECUTING', 'BLOCKED']],
    ['HANDOFF', 'EXECUTING', ['ANALYZING', 'EXECUTING', 'HANDOFF']],
  ] as [AgentWorkState, AgentWorkState, AgentWorkState[]][])('rejects %s → %s with ILLEGAL_TRANSITION naming from and to', (from, to, before) => {
    let prev: AgentWorkState = 'IDLE';
    const history: AgentEvent[] = [full('a1')];
    for (const s of before) {
      history.push(changed('a1', prev, s));
      prev = s;
    }
    expect(fold(history)).toMatchObject({ state: from });
    given(history)
      .when(report(to))
      .thenThrows('ILLEGAL_TRANSITION', new RegExp(`^agent a1 cannot go from ${from} to ${to} `));
  });

  it('reporting the current state again appends nothing', () => {
    given([full('a1')]).when(report('IDLE')).then([]);
  });

  it('any state may report ERROR, and ERROR goes back to IDLE only', () => {
    const executing = [full('a1'), changed('a1', 'IDLE', 'ANALYZING'), changed('a1', 'ANALYZING', 'EXECUTING')];
    given(executing).when(report('ERROR')).then([changed('a1', 'EXECUTING', 'ERROR')]);
    const failed = [...executing, changed('a1', 'EXECUTING', 'ERROR')];
    given(failed).when(report('ANALYZING')).thenThrows('ILLEGAL_TRANSITION', /\(allowed: IDLE\)$/);
    given(failed).when(report('IDLE')).then([changed('a1', 'ERROR', 'IDLE')]);
  });

  it('reset: any state → IDLE with reset: true', () => {
    const blocked = [full('a1'), changed('a1', 'IDLE', 'ANALYZING'), changed('a1', 'ANALYZING', 'EXECUTING'), changed('a1', 'EXECUTING', 'BLOCKED')];
    given(blocked).when(report('IDLE')).thenThrows('ILLEGAL_TRANSITION');
    given(blocked).when(report('IDLE', { reset: true })).then([changed('a1', 'BLOCKED', 'IDLE')]);
    given(blocked).when(report('HANDOFF', { reset: true })).thenThrows('ILLEGAL_TRANSITION');
  });

  it('reset after offline: the first report after going offline may go to IDLE from any state', () => {
    const executing = [full('a1'), changed('a1', 'IDLE', 'ANALYZING'), changed('a1', 'ANALYZING', 'EXECUTING')];
    const back = [...executing, wentOffline('a1'), { type: 'AgentCameOnline', data: { agentId: 'a1', at: LATER } } as AgentEvent];
    given(back).when(report('IDLE')).then([changed('a1', 'EXECUTING', 'IDLE')]);
    // Once it has reported a state, the normal rules apply again.
    given([...back, changed('a1', 'EXECUTING', 'BLOCKED')]).when(report('IDLE')).thenThrows('ILLEGAL_TRANSITION');
  });

  it('answers NOT_FOUND for an unknown agent', () => {
    given([]).when(report('ANALYZING')).thenThrows('NOT_FOUND');
  });
});

describe('agent decider: liveness (RecordHeartbeat, MarkAgentOffline)', () => {
  const WINDOW = 30_000;
  const markOffline = (now: string, lastHeartbeatAt: string | null): AgentCommand => ({
    type: 'MarkAgentOffline',
    data: { agentId: 'a1', lastHeartbeatAt, windowMs: WINDOW },
    metadata: meta('timer', now),
  });
  const heartbeat = (now: string): AgentCommand => ({ type: 'RecordHeartbeat', data: { agentId: 'a1' }, metadata: meta('hb', now) });
  const at = (msAfterNow: number) => new Date(Date.parse(NOW) + msAfterNow).toISOString();

  it('goes offline when the stored last heartbeat is older than the window at the injected time', () => {
    given([full('a1')])
      .when(markOffline(at(40_000), at(5_000)))
      .then([{ type: 'AgentWentOffline', data: { agentId: 'a1', lastHeartbeatAt: at(5_000), at: at(40_000) } }]);
  });

  it('appends nothing while the heartbeat is within the window', () => {
    given([full('a1')]).when(markOffline(at(34_999), at(5_000))).then([]);
  });

  it('an agent that never sent a heartbeat is stale a window after its registration', () => {
    given([full('a1')]).when(markOffline(at(29_999), null)).then([]);
    given([full('a1')])
      .when(markOffline(at(30_000), null))
      .then([{ type: 'AgentWentOffline', data: { agentId: 'a1', lastHeartbeatAt: NOW, at: at(30_000) } }]);
  });

  it('appends nothing for an agent already offline, removed or unknown', () => {
    given([full('a1'), wentOffline('a1', at(30_000))]).when(markOffline(at(90_000), null)).then([]);
    given([full('a1'), { type: 'AgentRemoved', data: { agentId: 'a1', removedAt: at(1) } }]).when(markOffline(at(90_000), null)).then([]);
    given([]).when(markOffline(at(90_000), null)).then([]);
  });

  it('a heartbeat from an offline agent appends AgentCameOnline; from an online one, nothing', () => {
    given([full('a1'), wentOffline('a1', at(30_000))])
      .when(heartbeat(at(60_000)))
      .then([{ type: 'AgentCameOnline', data: { agentId: 'a1', at: at(60_000) } }]);
    given([full('a1')]).when(heartbeat(at(60_000))).then([]);
    given([]).when(heartbeat(at(60_000))).thenThrows('NOT_FOUND');
  });

  it('coming back online restarts the window from that moment', () => {
    const back = [full('a1'), wentOffline('a1', at(30_000)), { type: 'AgentCameOnline', data: { agentId: 'a1', at: at(60_000) } } as AgentEvent];
    expect(fold(back)).toMatchObject({ online: true, lastSeenAt: at(60_000) });
    given(back).when(markOffline(at(80_000), at(5_000))).then([]);
    given(back).when(markOffline(at(90_000), at(5_000))).then([{ type: 'AgentWentOffline', data: { agentId: 'a1', lastHeartbeatAt: at(60_000), at: at(90_000) } }]);
  });
});

describe('deriveStatus', () => {
  const base = { online: true, state: 'IDLE' as AgentWorkState, consecutiveFailures: 0, activeTasks: 0, maxConcurrency: 2 };
  it('is offline > error > busy > available', () => {
    expect(deriveStatus(base)).toBe('available');
    expect(deriveStatus({ ...base, activeTasks: 1 })).toBe('available');
    expect(deriveStatus({ ...base, activeTasks: 2 })).toBe('busy');
    expect(deriveStatus({ ...base, activeTasks: 2, state: 'ERROR' })).toBe('error');
    expect(deriveStatus({ ...base, consecutiveFailures: CONSECUTIVE_FAILURES_FOR_ERROR - 1 })).toBe('available');
    expect(deriveStatus({ ...base, consecutiveFailures: CONSECUTIVE_FAILURES_FOR_ERROR })).toBe('error');
    expect(deriveStatus({ ...base, online: false, state: 'ERROR', activeTasks: 5 })).toBe('offline');
  });
});

describe('readAgentEvent (the new event types)', () => {
  it.each([
    ['AgentUpdated', { agentId: 'a1', changes: { model: null }, updatedAt: LATER }],
    ['AgentRemoved', { agentId: 'a1', removedAt: LATER }],
    ['AgentStateChanged', { agentId: 'a1', from: 'IDLE', to: 'ANALYZING', taskId: 't', at: LATER }],
    ['AgentWentOffline', { agentId: 'a1', lastHeartbeatAt: NOW, at: LATER }],
    ['AgentCameOnline', { agentId: 'a1', at: LATER }],
  ])('reads a stored %s v1', (type, data) => {
    expect(readAgentEvent({ type, schemaVersion: 1, data })).toEqual({ type, data });
  });

  it('refuses a stored event whose data does not match its schema', () => {
    expect(() => readAgentEvent({ type: 'AgentStateChanged', schemaVersion: 1, data: { agentId: 'a1', from: 'IDLE', to: 'NAPPING', at: LATER } })).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
  });
});
