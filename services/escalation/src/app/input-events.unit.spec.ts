import type { RecordedEvent } from '@baton/contracts';
import { formatEscalationMetrics } from './escalation.metrics';
import { INPUT_SUBJECTS, toInputEvent } from './input-events';

const recorded = (streamId: string, type: string, data: unknown, schemaVersion = 1): RecordedEvent => ({
  eventId: 'e-1',
  type,
  schemaVersion,
  streamId,
  revision: 0,
  position: { commit: 1, prepare: 0 },
  data,
  metadata: { occurredAt: '2026-12-01T00:00:00.000Z' },
  prevHash: '0'.repeat(64),
  hash: 'f'.repeat(64),
});

describe('consumed events', () => {
  it('subscribes to the task, run, conflict and workflow events it acts on', () => {
    expect(INPUT_SUBJECTS).toEqual(
      expect.arrayContaining([
        'baton.evt.task.blocked',
        'baton.evt.task.unblocked',
        'baton.evt.task.progress-reported',
        'baton.evt.task.handoff-rejected',
        'baton.evt.run.started',
        'baton.evt.run.stage-sla-breached',
        'baton.evt.run.stage-escalated',
        'baton.evt.run.stage-approved',
        'baton.evt.run.stage-rejected',
        'baton.evt.conflict.detected',
        'baton.evt.conflict.needs-decision',
        'baton.evt.conflict.resolved',
        'baton.evt.workflow.version-registered',
      ]),
    );
    expect(INPUT_SUBJECTS).not.toContain('baton.evt.escalation.raised');
  });

  it('reads a relayed event by its category and type, with defaults applied', () => {
    expect(toInputEvent(recorded('task-t-1', 'TaskFailed', { taskId: 't-1', agentId: null, leaseEpoch: 0, error: { message: 'x' }, final: true, failedAt: '2026-12-01T00:00:00.000Z' }))).toEqual({
      type: 'TaskFailed',
      data: { taskId: 't-1', agentId: null, leaseEpoch: 0, error: { message: 'x', code: null }, final: true, failedAt: '2026-12-01T00:00:00.000Z' },
    });
    expect(toInputEvent(recorded('run-r-1', 'RunCompleted', { runId: 'r-1', completedAt: 'x' }))).toEqual({ type: 'RunCompleted', data: { runId: 'r-1' } });
  });

  it('keeps inputs.handoffSla of TaskCreated for the handoff SLA watches', () => {
    const handoffSla = { specIds: ['HO-PM-ARCH'], acknowledgmentMs: 1_800_000, firstOutputMs: 14_400_000 };
    const event = toInputEvent(
      recorded('task-t-1', 'TaskCreated', { taskId: 't-1', runId: 'r-1', stageId: 'architecture', action: 'design', requirement: {}, priority: 'P1', inputs: { handoffSla }, createdAt: '2026-12-01T00:00:00.000Z' }),
    );
    expect(event).toMatchObject({ type: 'TaskCreated', data: { inputs: { handoffSla } } });
  });

  it('an unknown type or version is UNKNOWN_SCHEMA_VERSION, a malformed one VALIDATION_FAILED (both dead-lettered)', () => {
    expect(() => toInputEvent(recorded('task-t-1', 'TaskBlocked', {}, 2))).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
    expect(() => toInputEvent(recorded('run-r-1', 'TaskBlocked', {}))).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
    expect(() => toInputEvent(recorded('task-t-1', 'TaskBlocked', { taskId: 't-1' }))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('escalation metrics', () => {
  it('renders the counter by trigger and level and the open gauge for every level', () => {
    const text = formatEscalationMetrics(
      [
        { trigger: 'blocked_task', level: 1, n: 2 },
        { trigger: 'blocked_task', level: 2, n: 1 },
      ],
      new Map([[2, 1]]),
    );
    expect(text).toContain('# TYPE baton_escalations_total counter');
    expect(text).toContain('baton_escalations_total{trigger="blocked_task",level="1"} 2');
    expect(text).toContain('baton_escalations_total{trigger="blocked_task",level="2"} 1');
    expect(text).toContain('# TYPE baton_escalations_open gauge');
    expect(text).toContain('baton_escalations_open{level="0"} 0');
    expect(text).toContain('baton_escalations_open{level="2"} 1');
  });
});
