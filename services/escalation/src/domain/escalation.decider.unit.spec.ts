import { deciderSpec, foldWith } from '@baton/aggregate';
import type { Actor } from '@baton/contracts';
import { escalationAggregate, readEscalationEvent } from './escalation.aggregate';
import type { CommandMetadata, EscalationCommand, RaiseEscalation } from './escalation.commands';
import { toEscalationView } from './escalation.decider';
import type { EscalationEvent } from './escalation.events';
import { DEFAULT_LADDER } from './escalation.policy';

const NOW = '2026-12-01T10:00:00.000Z';
const meta = (commandId = 'c-1', now = NOW): CommandMetadata => ({ commandId, now });
const human: Actor = { kind: 'human', id: 'ceo' };

const raiseData = (over: Partial<RaiseEscalation['data']> = {}): RaiseEscalation['data'] => ({
  escalationId: 'e-1',
  trigger: 'blocked_task',
  level: 1,
  assignee: { kind: 'agent', id: 'peer-1' },
  issue: 'Task t-1 (write_prd) blocked for 31 min: no API spec',
  workflowStage: 'requirements',
  options: [{ label: 'Wait', tradeoff: 'slow' }],
  recommendation: 'Help',
  blocking: 'Task t-1',
  runId: 'r-1',
  stageId: 'requirements',
  iteration: null,
  taskId: 't-1',
  agentId: 'a-1',
  conflictId: null,
  decidesStage: false,
  since: '2026-12-01T09:29:00.000Z',
  ladder: DEFAULT_LADDER,
  ...over,
});

const raise = (over: Partial<RaiseEscalation['data']> = {}): EscalationCommand => ({ type: 'RaiseEscalation', data: raiseData(over), metadata: meta() });
const { given } = deciderSpec(escalationAggregate);
const fold = (events: readonly EscalationEvent[]) => foldWith(escalationAggregate, events);
const raised = (over: Partial<RaiseEscalation['data']> = {}): readonly EscalationEvent[] => given([]).when(raise(over)).events();

describe('escalation decider', () => {
  it('raise: opens the escalation with the time of the command', () => {
    const events = raised();
    expect(events).toEqual([{ type: 'EscalationRaised', data: { ...raiseData(), raisedAt: NOW } }]);
    expect(toEscalationView(fold(events) as never)).toMatchObject({ escalationId: 'e-1', status: 'open', level: 1, assignee: { kind: 'agent', id: 'peer-1' }, raisedAt: NOW, resolution: null });
  });

  it('raise again: the same escalation changes nothing; another one under the id is CONFLICT', () => {
    given(raised()).when(raise()).then([]);
    given(raised()).when(raise({ issue: 'something else' })).thenThrows('CONFLICT');
  });

  it('climb: up to a higher level with its assignee; equal or lower changes nothing', () => {
    const climb = (level: 0 | 1 | 2 | 3): EscalationCommand => ({ type: 'ClimbLevel', data: { escalationId: 'e-1', level, assignee: { kind: 'agent', id: 'lead-1' }, reason: 'unresolved' }, metadata: meta('c-2') });
    given(raised())
      .when(climb(2))
      .then([{ type: 'EscalationLevelRaised', data: { escalationId: 'e-1', trigger: 'blocked_task', from: 1, to: 2, assignee: { kind: 'agent', id: 'lead-1' }, reason: 'unresolved', raisedAt: NOW } }]);
    given(raised()).when(climb(1)).then([]);
    given(raised()).when(climb(0)).then([]);
    given([]).when(climb(2)).thenThrows('NOT_FOUND');
  });

  const resolve = (over: Partial<Extract<EscalationCommand, { type: 'ResolveEscalation' }>['data']> = {}): EscalationCommand => ({
    type: 'ResolveEscalation',
    data: { escalationId: 'e-1', resolution: 'resolved', reason: 'cleared', by: human, ...over },
    metadata: meta('c-3'),
  });

  it('resolve: logs the resolution, who and why', () => {
    const [event] = given(raised()).when(resolve()).events();
    expect(event).toEqual({ type: 'EscalationResolved', data: { escalationId: 'e-1', resolution: 'resolved', by: human, reason: 'cleared', reassignTo: null, resolvedAt: NOW } });
    expect(toEscalationView(fold([...raised(), event!]) as never)).toMatchObject({ status: 'resolved', resolution: 'resolved', resolvedBy: human, resolutionReason: 'cleared', resolvedAt: NOW });
  });

  it('a resolved escalation ignores its timers and cannot be resolved again', () => {
    const history = [...raised(), ...given(raised()).when(resolve()).events()];
    given(history).when({ type: 'ClimbLevel', data: { escalationId: 'e-1', level: 3, assignee: { kind: 'human', id: 'human' }, reason: 'late' }, metadata: meta('c-4') }).then([]);
    given(history).when(resolve()).thenThrows('ILLEGAL_TRANSITION');
    given(history).when(resolve({ onlyIfOpen: true })).then([]);
  });

  it('resolving an unknown escalation is NOT_FOUND (nothing for an automatic resolution)', () => {
    given([]).when(resolve()).thenThrows('NOT_FOUND');
    given([]).when(resolve({ onlyIfOpen: true })).then([]);
  });

  it('reassigned needs reassignTo on a task escalation; reassignTo goes only with reassigned', () => {
    given(raised()).when(resolve({ resolution: 'reassigned' })).thenThrows('VALIDATION_FAILED');
    given(raised()).when(resolve({ reassignTo: 'a-2' })).thenThrows('VALIDATION_FAILED');
    expect(given(raised()).when(resolve({ resolution: 'reassigned', reassignTo: 'a-2' })).events()[0]!.data).toMatchObject({ resolution: 'reassigned', reassignTo: 'a-2' });
    expect(given(raised({ taskId: null })).when(resolve({ resolution: 'reassigned' })).events()).toHaveLength(1);
  });

  it('stored events read back through the schema (v1); unknown types or versions are refused', () => {
    const [event] = raised();
    expect(readEscalationEvent({ type: event!.type, schemaVersion: 1, data: JSON.parse(JSON.stringify(event!.data)) })).toEqual(event);
    expect(() => readEscalationEvent({ type: 'EscalationRaised', schemaVersion: 2, data: event!.data })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
    expect(() => readEscalationEvent({ type: 'EscalationVanished', schemaVersion: 1, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
  });
});
