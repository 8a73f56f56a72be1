import { deciderSpec } from '@baton/aggregate';
import type { ConflictCommand, ConflictFinding } from './conflict.commands';
import { conflictAggregate, decideConflict, evolveConflict, foldConflict } from './conflict.decider';
import { toConflictEvent, type ConflictEvent } from './conflict.events';

const T0 = '2026-12-01T09:00:00.000Z';
const T1 = '2026-12-01T09:05:00.000Z';
let seq = 0;
const meta = (now = T0) => ({ commandId: `cmd-${++seq}`, now });
const human = { kind: 'human', id: 'ops@example.test' } as const;

const finding = (over: Partial<ConflictFinding> = {}): ConflictFinding => ({
  conflictId: 'files.task-2.0',
  kind: 'file_overlap',
  taskIds: ['task-2', 'task-1'],
  agentId: 'agent-a',
  runId: null,
  description: 'task task-2 modifies files that in-flight tasks modify',
  details: { leaseEpoch: 0, files: ['src/a.ts'] },
  autoResolution: 'queue',
  ...over,
});

const detected = (over: Partial<ConflictFinding> = {}): ConflictEvent => {
  const f = finding(over);
  return { type: 'ConflictDetected', data: { ...f, taskIds: [...f.taskIds], details: { ...f.details }, detectedAt: T0 } };
};

const resolveCmd = (over: Partial<Extract<ConflictCommand, { type: 'ResolveConflict' }>['data']> = {}, now = T1): ConflictCommand => ({
  type: 'ResolveConflict',
  data: { conflictId: 'files.task-2.0', resolution: 'queue', by: human, reason: 'wait for task-1', reassignTo: null, ...over },
  metadata: meta(now),
});

const { given } = deciderSpec(conflictAggregate);

describe('conflict aggregate', () => {
  describe('DetectConflict', () => {
    it('records ConflictDetected with the time from the command', () => {
      given([])
        .when({ type: 'DetectConflict', data: finding(), metadata: meta() })
        .then([detected()]);
    });

    it('records nothing when the conflict was already detected (deterministic ids make detection idempotent)', () => {
      given([detected()]).when({ type: 'DetectConflict', data: finding({ description: 'seen again' }), metadata: meta(T1) }).then([]);
      given([detected(), { type: 'ConflictResolved', data: { conflictId: 'files.task-2.0', kind: 'file_overlap', resolution: 'queue', by: human, reason: 'x', reassignTo: null, resolvedAt: T1 } }])
        .when({ type: 'DetectConflict', data: finding(), metadata: meta(T1) })
        .then([]);
    });

    it('refuses a conflict without tasks', () => {
      given([]).when({ type: 'DetectConflict', data: finding({ taskIds: [] }), metadata: meta() }).thenThrows('INTERNAL');
    });
  });

  describe('ResolveConflict', () => {
    it.each(['queue', 'escalate'] as const)('resolves an open conflict with %s, by the actor of the command', (resolution) => {
      given([detected()])
        .when(resolveCmd({ resolution }))
        .then([{ type: 'ConflictResolved', data: { conflictId: 'files.task-2.0', kind: 'file_overlap', resolution, by: human, reason: 'wait for task-1', reassignTo: null, resolvedAt: T1 } }]);
    });

    it('resolves with reassign and the target agent', () => {
      given([detected()])
        .when(resolveCmd({ resolution: 'reassign', reassignTo: 'agent-b' }))
        .then([{ type: 'ConflictResolved', data: { conflictId: 'files.task-2.0', kind: 'file_overlap', resolution: 'reassign', by: human, reason: 'wait for task-1', reassignTo: 'agent-b', resolvedAt: T1 } }]);
    });

    it('refuses an unknown conflict with NOT_FOUND', () => {
      given([]).when(resolveCmd()).thenThrows('NOT_FOUND');
    });

    it('refuses to resolve a resolved conflict with ILLEGAL_TRANSITION', () => {
      const state = foldConflict([detected()]);
      const [resolved] = decideConflict(resolveCmd(), state);
      given([detected(), resolved!]).when(resolveCmd({ resolution: 'escalate' })).thenThrows('ILLEGAL_TRANSITION');
    });

    it('refuses reassign without a target, and a target without reassign, with VALIDATION_FAILED', () => {
      given([detected()]).when(resolveCmd({ resolution: 'reassign', reassignTo: null })).thenThrows('VALIDATION_FAILED');
      given([detected()]).when(resolveCmd({ resolution: 'queue', reassignTo: 'agent-b' })).thenThrows('VALIDATION_FAILED');
    });
  });

  describe('MarkNeedsDecision', () => {
    const mark = (): ConflictCommand => ({ type: 'MarkNeedsDecision', data: { conflictId: 'dep.task-2.0', reason: 'dependency task-1 failed' }, metadata: meta(T1) });
    const dep = () => detected({ conflictId: 'dep.task-2.0', kind: 'dependency_clash', agentId: null });

    it('records that an open conflict now needs a decision, once', () => {
      given([dep()])
        .when(mark())
        .then([{ type: 'ConflictNeedsDecision', data: { conflictId: 'dep.task-2.0', kind: 'dependency_clash', taskIds: ['task-2', 'task-1'], runId: null, reason: 'dependency task-1 failed', at: T1 } }]);
      const [needs] = decideConflict(mark(), foldConflict([dep()]));
      given([dep(), needs!]).when(mark()).then([]);
    });

    it('does nothing for a conflict detected without auto-resolution or already resolved, and refuses an unknown one', () => {
      given([detected({ conflictId: 'dep.task-2.0', autoResolution: null })]).when(mark()).then([]);
      given([
        dep(),
        { type: 'ConflictResolved', data: { conflictId: 'dep.task-2.0', kind: 'dependency_clash', resolution: 'queue', by: human, reason: 'x', reassignTo: null, resolvedAt: T1 } },
      ])
        .when(mark())
        .then([]);
      given([]).when(mark()).thenThrows('NOT_FOUND');
    });
  });

  describe('evolve', () => {
    it('folds detection, needs-decision and resolution into the state', () => {
      const open = foldConflict([detected()]);
      expect(open).toMatchObject({ exists: true, status: 'open', needsDecision: false, autoResolution: 'queue', resolution: null });
      expect(foldConflict([detected({ autoResolution: null })])).toMatchObject({ needsDecision: true });
      const needs = evolveConflict(open, { type: 'ConflictNeedsDecision', data: { conflictId: 'files.task-2.0', kind: 'file_overlap', taskIds: [], runId: null, reason: 'r', at: T1 } });
      expect(needs).toMatchObject({ status: 'open', needsDecision: true });
      const resolved = evolveConflict(needs, {
        type: 'ConflictResolved',
        data: { conflictId: 'files.task-2.0', kind: 'file_overlap', resolution: 'reassign', by: human, reason: 'go', reassignTo: 'agent-b', resolvedAt: T1 },
      });
      expect(resolved).toMatchObject({ status: 'resolved', needsDecision: false, resolution: 'reassign', resolvedBy: human, reason: 'go', reassignTo: 'agent-b', resolvedAt: T1 });
    });

    it('refuses a resolution before the detection', () => {
      expect(() =>
        evolveConflict(
          { exists: false },
          { type: 'ConflictResolved', data: { conflictId: 'x', kind: 'file_overlap', resolution: 'queue', by: human, reason: 'r', reassignTo: null, resolvedAt: T1 } },
        ),
      ).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    });
  });

  describe('toConflictEvent', () => {
    it('reads stored v1 events and refuses unknown types and versions', () => {
      const stored = detected();
      expect(toConflictEvent({ type: stored.type, schemaVersion: 1, data: stored.data })).toEqual(stored);
      expect(() => toConflictEvent({ type: 'ConflictExploded', schemaVersion: 1, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
      expect(() => toConflictEvent({ type: 'ConflictDetected', schemaVersion: 2, data: stored.data })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
      expect(() => toConflictEvent({ type: 'ConflictDetected', schemaVersion: 1, data: { conflictId: 1 } })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    });
  });
});
