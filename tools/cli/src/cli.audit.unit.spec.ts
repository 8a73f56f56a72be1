import type { Actor } from '@baton/contracts';
import { collectRunTimeline, formatTimeMs } from './audit/timeline';
import { runCli } from './cli';
import { EventStoreUnreachableError, redactUrl } from './event-store';
import { failingStderr, fakeClient, fakeDeps } from './testing/fake-client';
import { memoryEventStore, memoryOpener, recorded } from './testing/memory-event-store';

const svc: Actor = { kind: 'service', id: 'scheduler' };
const alice: Actor = { kind: 'human', id: 'alice' };
const pm: Actor = { kind: 'agent', id: 'MCT-PM-001' };

/** A small run: r1 with tasks t-1 (requirements) and t-2 (an approval task), a handoff, an escalation; plus another run's noise. */
function runStore() {
  const m = (actor: Actor = svc) => ({ actor, correlationId: 'r1' });
  return memoryEventStore([
    recorded('run-r1', 0, 1, 'RunStarted', { runId: 'r1', workflowId: 'WF-FEAT-001', version: '1.0.0', params: {}, priority: 'P1', trigger: {} }, m(alice)),
    recorded('run-r1', 1, 2, 'StageStarted', { runId: 'r1', stageId: 'requirements', iteration: 1, tasks: [{ taskId: 't-1', agent: 'MCT-PM-001' }], slaMs: null }, m()),
    recorded('task-t-1', 0, 3, 'TaskCreated', { taskId: 't-1', runId: 'r1', stageId: 'requirements', action: 'write_prd', requirement: { agentId: 'MCT-PM-001' }, priority: 'P1' }, m()),
    recorded('handoff-h-1', 0, 4, 'HandoffSubmitted', { handoffId: 'h-1', taskId: 't-1', fromAgentId: 'MCT-PM-001', toAgentIds: [], specIds: [], artifacts: [] }, { actor: pm }),
    recorded('handoff-h-9', 0, 5, 'HandoffSubmitted', { handoffId: 'h-9', taskId: 't-other', runId: 'r2', fromAgentId: 'X', artifacts: [] }, { correlationId: 'r2' }),
    recorded('handoff-h-1', 1, 6, 'HandoffAccepted', { handoffId: 'h-1', taskId: 't-1', rulesChecked: 3, specIds: [] }, {}),
    recorded('task-t-1', 1, 7, 'TaskCompleted', { taskId: 't-1', agentId: 'MCT-PM-001', durationMs: 900, outputs: {} }, m(pm)),
    recorded('run-r1', 2, 8, 'StageApprovalRequested', { runId: 'r1', stageId: 'requirements', iteration: 1, kind: 'agent', when: 'after', approvers: ['MCT-ARCH-001'], reason: 'approvers', taskIds: ['t-2'] }, m()),
    recorded('task-t-2', 0, 9, 'TaskCreated', { taskId: 't-2', action: 'approve_stage', requirement: { agentId: 'MCT-ARCH-001' }, priority: 'P1' }, {}),
    recorded('escalation-e-1', 0, 10, 'EscalationRaised', { escalationId: 'e-1', trigger: 'approval_needed', level: 1, assignee: { kind: 'agent', id: 'MCT-ARCH-001' }, issue: 'approval pending', taskId: 't-2' }, {}),
    // Later events of a matched stream need not name the run.
    recorded('escalation-e-1', 1, 11, 'EscalationResolved', { escalationId: 'e-1', resolution: 'resolved', by: alice, reason: 'approved' }, { actor: alice }),
    recorded('conflict-c-9', 0, 12, 'ConflictDetected', { conflictId: 'c-9', kind: 'file_overlap', taskIds: ['t-other'], runId: 'r2', description: 'x' }, {}),
    recorded('run-r1', 3, 13, 'StageApproved', { runId: 'r1', stageId: 'requirements', iteration: 1, by: alice, reason: 'fine' }, m(alice)),
  ]);
}

describe('baton audit <runId>', () => {
  it('merges the run, its task streams and its related handoff/escalation streams in global order', async () => {
    const store = runStore();
    const t = await collectRunTimeline(store, 'r1', 2);
    expect(t?.events.map((e) => `${e.streamId}@${e.revision} ${e.type}`)).toEqual([
      'run-r1@0 RunStarted',
      'run-r1@1 StageStarted',
      'task-t-1@0 TaskCreated',
      'handoff-h-1@0 HandoffSubmitted',
      'handoff-h-1@1 HandoffAccepted',
      'task-t-1@1 TaskCompleted',
      'run-r1@2 StageApprovalRequested',
      'task-t-2@0 TaskCreated',
      'escalation-e-1@0 EscalationRaised',
      'escalation-e-1@1 EscalationResolved',
      'run-r1@3 StageApproved',
    ]);
    expect(t?.streams).toEqual(['run-r1', 'task-t-1', 'task-t-2', 'escalation-e-1', 'handoff-h-1']);
    // Paged scan of the three categories, 2 at a time, each page after the last one's position.
    expect(store.readAllCalls.map((c) => [c.maxCount, c.filter?.categories, c.after?.commit])).toEqual([
      [2, ['handoff', 'escalation', 'conflict', 'budget', 'notification'], undefined],
      [2, ['handoff', 'escalation', 'conflict', 'budget', 'notification'], 5],
      [2, ['handoff', 'escalation', 'conflict', 'budget', 'notification'], 10],
      [2, ['handoff', 'escalation', 'conflict', 'budget', 'notification'], 12],
    ]);
  });

  it('prints the timeline as a table: position, time, stream@revision, type, actor, summary', async () => {
    const opened: (string | undefined)[] = [];
    const deps = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(runStore(), opened) });
    expect(await runCli(['audit', 'r1', '--database-url', 'postgres://u:p@db:5432/baton'], deps)).toBe(0);
    expect(opened).toEqual(['postgres://u:p@db:5432/baton']);
    expect(deps.connectedTo).toEqual([]);
    const out = deps.io.out.join('\n');
    expect(out).toMatch(/POSITION\s*│ TIME\s+│ STREAM@REV\s+│ EVENT\s+│ ACTOR\s+│ SUMMARY/);
    expect(out).toMatch(/│ 1\/0\s+│ 2026-11-22 10:00:01\.000 │ run-r1@0\s+│ RunStarted\s+│ human:alice\s+│ run of WF-FEAT-001 v1\.0\.0 started \(P1\)\s+│/);
    expect(out).toMatch(/│ 4\/0\s+│ [^│]+│ handoff-h-1@0\s+│ HandoffSubmitted\s+│ agent:MCT-PM-001\s+│ handoff of task t-1 from MCT-PM-001: 0 artifacts/);
    expect(out).toMatch(/│ 11\/0\s+│ [^│]+│ escalation-e-1@1 │ EscalationResolved\s+│ human:alice\s+│ resolved by human:alice: approved/);
    expect(out).toMatch(/│ 9\/0\s+│ [^│]+│ task-t-2@0\s+│ TaskCreated\s+│ -\s+│/);
    expect(out).not.toContain('h-9');
    expect(out).not.toContain('c-9');
    expect(out.split('\n').at(-1)).toBe('11 events from 5 streams: run-r1, 2 task, 1 handoff, 1 escalation, 0 conflict and 0 notification streams');
  });

  it('prints the events array, each with its summary, as one JSON document with --json', async () => {
    const deps = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(runStore()) });
    expect(await runCli(['--json', 'audit', 'r1'], deps)).toBe(0);
    expect(deps.io.out).toHaveLength(1);
    const events = JSON.parse(deps.io.out[0]!) as { streamId: string; revision: number; position: unknown; summary: string; metadata: unknown; hash: string }[];
    expect(events).toHaveLength(11);
    expect(events[0]).toMatchObject({ streamId: 'run-r1', revision: 0, type: 'RunStarted', position: { commit: 1, prepare: 0 }, summary: 'run of WF-FEAT-001 v1.0.0 started (P1)' });
    expect(events.at(-1)).toMatchObject({ type: 'StageApproved', summary: 'stage requirements approved by human:alice: fine', metadata: { actor: alice } });
    expect(events.every((e) => typeof e.hash === 'string')).toBe(true);
  });

  it('exits 1 with NOT_FOUND when the run has no stream', async () => {
    const deps = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(runStore()) });
    expect(await runCli(['audit', 'nope'], deps)).toBe(1);
    expect(deps.io.err).toEqual(['baton: NOT_FOUND: run nope was not found in the event store (stream run-nope does not exist)']);
    expect(deps.io.out).toEqual([]);
  });

  it('exits 2 and asks whether Baton is running when the event store cannot be reached', async () => {
    const down = fakeDeps(fakeClient({}), {
      openEventStore: () => Promise.reject(new EventStoreUnreachableError('postgres://baton:***@127.0.0.1:5999/baton', 'connection refused')),
    });
    expect(await runCli(['audit', 'r1'], down)).toBe(2);
    expect(down.io.err).toEqual(['baton: cannot reach the event store at postgres://baton:***@127.0.0.1:5999/baton (connection refused). Is Baton running? Start it with: npm start']);

    const failing = memoryEventStore([]);
    const lost = fakeDeps(fakeClient({}), {
      openEventStore: memoryOpener({ ...failing, readStream: async () => {
        const { EventStoreUnavailableError } = await import('@baton/event-store');
        throw new EventStoreUnavailableError('event store unavailable: connect ECONNREFUSED 127.0.0.1:5432');
      } }),
    });
    expect(await runCli(['audit', 'r1'], lost)).toBe(2);
    expect(lost.io.err).toEqual(['baton: cannot reach the event store at memory (connection refused). Is Baton running? Start it with: npm start']);
  });

  it('rejects a --database-url that is not a PostgreSQL URL, and needs a run id', async () => {
    const deps = fakeDeps(fakeClient({}));
    expect(await failingStderr(['audit', 'r1', '--database-url', 'mysql://x'], deps)).toContain('expected a postgres:// or postgresql:// URL');
    expect(await failingStderr(['audit'], deps)).toContain("missing required argument 'runId'");
  });

  it('formats times to the millisecond and hides passwords of URLs', () => {
    expect(formatTimeMs('2026-11-22T10:00:01.250Z')).toBe('2026-11-22 10:00:01.250');
    expect(formatTimeMs(undefined)).toBe('-');
    expect(redactUrl('postgres://baton:secret@db:5432/baton')).toBe('postgres://baton:***@db:5432/baton');
  });
});

describe('baton audit verify', () => {
  it('verifies every stream and prints ok with the counts', async () => {
    const opened: (string | undefined)[] = [];
    const deps = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(runStore(), opened) });
    expect(await runCli(['audit', 'verify', '--database-url', 'postgres://x@db/baton'], deps)).toBe(0);
    expect(opened).toEqual(['postgres://x@db/baton']);
    expect(deps.io.out).toEqual(['ok: 7 streams, 13 events']);
    expect(deps.io.err).toEqual([]);
  });

  it('names each broken stream and revision, exit 1; --json gives {ok, streams, events, broken}', async () => {
    const store = () =>
      memoryEventStore(
        [0, 1, 2].map((i) => recorded(`task-${i}`, 0, i + 1, 'TaskCreated', {})),
        { 'task-1': { brokenAt: 0, reason: 'stored event does not match its hash' } },
      );
    const human = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(store()) });
    expect(await runCli(['audit', 'verify'], human)).toBe(1);
    expect(human.io.out).toEqual(['BROKEN task-1 at revision 0: stored event does not match its hash']);
    expect(human.io.err).toEqual(['baton: 1 of 3 streams failed verification']);
    const json = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(store()) });
    expect(await runCli(['audit', 'verify', '--json'], json)).toBe(1);
    expect(JSON.parse(json.io.out[0]!)).toEqual({ ok: false, streams: 3, events: 2, broken: [{ streamId: 'task-1', revision: 0, reason: 'stored event does not match its hash' }] });
    expect(json.io.err).toEqual(['baton: 1 of 3 streams failed verification']);
  });

  it('reports progress on stderr every 500 streams (not with --json)', async () => {
    const many = memoryEventStore([...Array(1200).keys()].map((i) => recorded(`agent-${String(i).padStart(4, '0')}`, 0, i + 1, 'AgentRegistered', {})));
    const deps = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(many) });
    expect(await runCli(['audit', 'verify'], deps)).toBe(0);
    expect(deps.io.err).toEqual(['verified 500/1200 streams', 'verified 1000/1200 streams']);
    expect(deps.io.out).toEqual(['ok: 1200 streams, 1200 events']);
    const json = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(many) });
    expect(await runCli(['--json', 'audit', 'verify'], json)).toBe(0);
    expect(json.io.err).toEqual([]);
    expect(JSON.parse(json.io.out[0]!)).toEqual({ ok: true, streams: 1200, events: 1200, broken: [] });
  });

  it('checks one stream with --stream, and says NOT_FOUND for a stream that does not exist', async () => {
    const deps = fakeDeps(fakeClient({}), { openEventStore: memoryOpener(runStore()) });
    expect(await runCli(['audit', 'verify', '--stream', 'run-r1'], deps)).toBe(0);
    expect(deps.io.out).toEqual(['ok: 1 stream, 4 events']);
    expect(await runCli(['audit', 'verify', '--stream', 'run-nope'], deps)).toBe(1);
    expect(deps.io.err).toEqual(['baton: NOT_FOUND: stream run-nope was not found in the event store']);
  });
});
