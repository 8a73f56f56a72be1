import type { Actor, EventMetadata, NewEvent, RecordedEvent } from '@baton/contracts';
import type { PostgresEventStore, tamperAsTableOwner as TamperAsTableOwner } from '@baton/event-store';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import { RELATED_CATEGORIES } from './audit/timeline';
import { runCli } from './cli';
import { processDeps, type CliDeps } from './context';
import { captureIo, type CapturedIo } from './testing/fake-client';

// `baton audit` against the real Postgres event store, in a database of its own: a realistic
// run is appended (run, task, handoff and escalation streams, plus another run's streams that
// must stay out), read back through runCli, then stored rows are tampered with in SQL, as someone
// with the tables' owner rights would, after switching the append-only protection off.

const scheduler: Actor = { kind: 'service', id: 'scheduler' };
const validator: Actor = { kind: 'service', id: 'handoff-validator' };
const escalation: Actor = { kind: 'service', id: 'escalation' };
const carol: Actor = { kind: 'human', id: 'carol' };
const alice: Actor = { kind: 'human', id: 'alice' };
const pm: Actor = { kind: 'agent', id: 'MCT-PM-001' };
const failure = {
  source: 'handoff',
  specId: 'HO-PM-ARCH',
  artifact: 'prd.md',
  rule: 'user_stories: min 3',
  message: 'user_stories has 1 item; at least 3 are required',
  missing: ['2 user stories'],
};
const prd = { name: 'prd.md', hash: `sha256:${'a'.repeat(64)}`, size: 2048, mediaType: 'text/markdown' };

/** The real process deps (the real event store opener), with captured output and the given environment. */
function cliDeps(env: Record<string, string> = {}): CliDeps & { io: CapturedIo } {
  return { ...processDeps(), io: captureIo(), env };
}

describe('baton audit against the Postgres event store (int)', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let tamperAsTableOwner: typeof TamperAsTableOwner;
  const runId = uniqueId('run');
  const otherRun = uniqueId('run');
  const t1 = uniqueId('t');
  const t2 = uniqueId('t');
  const h1 = uniqueId('h');
  const h2 = uniqueId('h');
  const e1 = uniqueId('esc');
  const hOther = uniqueId('h');
  const cOther = uniqueId('c');
  const runStream = `run-${runId}`;
  /** Every event appended, in order: what the timeline must show (minus the other run's). */
  const appended: { streamId: string; type: string; mine: boolean }[] = [];
  let clock = Date.parse('2026-11-22T10:00:00.000Z');
  let lastRelated: string | undefined;

  async function append(streamId: string, events: { type: string; data: Record<string, unknown>; actor: Actor; correlationId?: string }[], mine = true): Promise<RecordedEvent[]> {
    const newEvents: NewEvent[] = events.map((e) => {
      clock += 1000;
      const metadata: EventMetadata = { occurredAt: new Date(clock).toISOString(), actor: e.actor, ...(e.correlationId === undefined ? {} : { correlationId: e.correlationId }) };
      return { type: e.type, data: e.data, metadata };
    });
    const r = await store.append(streamId, newEvents);
    for (const e of events) appended.push({ streamId, type: e.type, mine });
    const read = await store.readStream(streamId, { fromRevision: r.firstRevision });
    if (/^(handoff|escalation|conflict)-/.test(streamId)) lastRelated = read.at(-1)?.eventId;
    return read;
  }

  beforeAll(async () => {
    db = await createTestDatabase('cli_audit');
    // Loaded on demand, as the CLI loads it (tools/cli/src/event-store.ts).
    const { createPostgresEventStore, tamperAsTableOwner: tamper } = await import('@baton/event-store');
    tamperAsTableOwner = tamper;
    store = await createPostgresEventStore({ pool: db.pool });
    const c = runId;
    await append(runStream, [{ type: 'RunStarted', actor: carol, correlationId: c, data: { runId, workflowId: 'WF-FEAT-001', version: '1.0.0', hash: 'h', params: { release: '2026.11' }, priority: 'P1', trigger: {}, startedAt: 'x' } }]);
    // Another run starts at the same time: none of it may show up.
    await append(`run-${otherRun}`, [{ type: 'RunStarted', actor: carol, correlationId: otherRun, data: { runId: otherRun, workflowId: 'WF-BUG-001', version: '1.0.0', params: {}, priority: 'P2', trigger: {} } }], false);
    const spec = { key: 'requirements', taskId: t1, action: 'write_prd', requirement: { agentId: 'MCT-PM-001', capabilities: [] }, priority: 'P1', agent: 'MCT-PM-001', timeoutMs: null, maxAttempts: 3, retry: {}, inputs: {} };
    await append(runStream, [{ type: 'StageStarted', actor: scheduler, correlationId: c, data: { runId, stageId: 'requirements', iteration: 1, tasks: [spec], slaMs: null, slaDueAt: null, startedAt: 'x' } }]);
    await append(`task-${t1}`, [
      { type: 'TaskCreated', actor: scheduler, correlationId: c, data: { taskId: t1, runId, stageId: 'requirements', action: 'write_prd', requirement: { agentId: 'MCT-PM-001', capabilities: [] }, priority: 'P1', inputs: {}, attempt: 1, createdAt: 'x' } },
    ]);
    // Two events in one append: same transaction, ordered by their sequence.
    await append(`task-${t1}`, [
      { type: 'TaskAssigned', actor: scheduler, correlationId: c, data: { taskId: t1, agentId: 'MCT-PM-001', leaseEpoch: 1, assignedAt: 'x', previousAgentId: null } },
      { type: 'TaskAccepted', actor: pm, correlationId: c, data: { taskId: t1, agentId: 'MCT-PM-001', leaseEpoch: 1, acceptedAt: 'x' } },
    ]);
    await append(`handoff-${h1}`, [
      {
        type: 'HandoffSubmitted',
        actor: pm,
        data: { handoffId: h1, taskId: t1, runId, stageId: 'requirements', iteration: 1, fromAgentId: 'MCT-PM-001', toAgentIds: ['MCT-ARCH-001'], specIds: ['HO-PM-ARCH'], artifacts: [prd], context: {}, submittedAt: 'x' },
      },
    ]);
    await append(`handoff-${hOther}`, [{ type: 'HandoffSubmitted', actor: pm, correlationId: otherRun, data: { handoffId: hOther, taskId: uniqueId('t'), runId: otherRun, fromAgentId: 'MCT-BE-001', artifacts: [] } }], false);
    await append(`handoff-${h1}`, [
      { type: 'HandoffRejected', actor: validator, data: { handoffId: h1, taskId: t1, runId, stageId: 'requirements', fromAgentId: 'MCT-PM-001', specIds: ['HO-PM-ARCH'], rulesChecked: 7, failures: [failure], rejectedAt: 'x' } },
    ]);
    await append(`task-${t1}`, [{ type: 'TaskHandoffRejected', actor: scheduler, correlationId: c, data: { taskId: t1, agentId: 'MCT-PM-001', leaseEpoch: 1, handoffId: h1, failures: [failure], rejections: 1, rejectedAt: 'x' } }]);
    // The second handoff names only the task (no runId, no correlation): found through the task.
    await append(`handoff-${h2}`, [
      { type: 'HandoffSubmitted', actor: pm, data: { handoffId: h2, taskId: t1, runId: null, stageId: null, iteration: null, fromAgentId: 'MCT-PM-001', toAgentIds: [], specIds: ['HO-PM-ARCH'], artifacts: [prd], context: {}, submittedAt: 'x' } },
      { type: 'HandoffAccepted', actor: validator, data: { handoffId: h2, taskId: t1, runId: null, stageId: null, fromAgentId: 'MCT-PM-001', specIds: ['HO-PM-ARCH'], rulesChecked: 7, acceptedAt: 'x' } },
    ]);
    await append(`task-${t1}`, [{ type: 'TaskCompleted', actor: pm, correlationId: c, data: { taskId: t1, agentId: 'MCT-PM-001', leaseEpoch: 1, outputs: { prd: 'prd.md' }, completedAt: 'x', durationMs: 4200 } }]);
    await append(runStream, [
      { type: 'StageTaskFinished', actor: scheduler, correlationId: c, data: { runId, stageId: 'requirements', iteration: 1, key: 'requirements', taskId: t1, status: 'succeeded', agentId: 'MCT-PM-001', outputs: {}, error: null, finishedAt: 'x' } },
      {
        type: 'StageApprovalRequested',
        actor: scheduler,
        correlationId: c,
        data: { runId, workflowId: 'WF-FEAT-001', stageId: 'requirements', iteration: 1, kind: 'agent', when: 'after', approvers: ['MCT-ARCH-001'], reason: 'approvers', taskIds: [t2], requestedAt: 'x' },
      },
    ]);
    await append(`task-${t2}`, [{ type: 'TaskCreated', actor: scheduler, correlationId: c, data: { taskId: t2, runId, stageId: 'requirements', action: 'approve_stage', requirement: { agentId: 'MCT-ARCH-001', capabilities: [] }, priority: 'P1', inputs: {}, attempt: 1, createdAt: 'x' } }]);
    await append(`conflict-${cOther}`, [{ type: 'ConflictDetected', actor: scheduler, correlationId: otherRun, data: { conflictId: cOther, kind: 'duplicate_task', taskIds: ['t-x'], agentId: null, runId: otherRun, description: 'not ours', details: {}, autoResolution: null, detectedAt: 'x' } }], false);
    await append(`escalation-${e1}`, [
      {
        type: 'EscalationRaised',
        actor: escalation,
        correlationId: c,
        data: { escalationId: e1, trigger: 'approval_needed', level: 1, assignee: { kind: 'agent', id: 'MCT-ARCH-002' }, issue: 'approval of requirements pending for 30 minutes', runId, stageId: 'requirements', taskId: t2 },
      },
    ]);
    await append(`escalation-${e1}`, [{ type: 'EscalationResolved', actor: alice, data: { escalationId: e1, resolution: 'exception_granted', by: alice, reason: 'approving as product owner' } }]);
    await append(runStream, [
      { type: 'StageApproved', actor: alice, correlationId: c, data: { runId, stageId: 'requirements', iteration: 1, by: alice, reason: 'approving as product owner', approvedAt: 'x' } },
      { type: 'RunCompleted', actor: scheduler, correlationId: c, data: { runId, completedAt: 'x' } },
    ]);
    // The store shows events in global order only once every older transaction in the cluster
    // has ended (see schema.sql.ts); on a shared server, wait until the scan can see ours.
    await waitFor(
      async () => {
        const page = await store.readAll({ filter: { categories: [...RELATED_CATEGORIES] }, maxCount: 1000 });
        return page.some((e) => e.eventId === lastRelated);
      },
      { timeoutMs: 30_000, what: 'the appended events to be visible in global order' },
    );
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('prints the run’s whole timeline in global order, from run, task, handoff and escalation streams', async () => {
    const deps = cliDeps();
    expect(await runCli(['audit', runId, '--database-url', db.url], deps)).toBe(0);
    expect(deps.io.err).toEqual([]);
    const text = deps.io.out.join('\n');
    const rows = text.split('\n').filter((l) => l.startsWith('│ ') && !l.startsWith('│ POSITION'));
    const cells = rows.map((r) => r.split('│').map((c) => c.trim()).slice(1, -1));
    const mine = appended.filter((a) => a.mine);
    expect(cells.map((c) => `${c[2]!.replace(/@\d+$/, '')} ${c[3]}`)).toEqual(mine.map((a) => `${a.streamId} ${a.type}`));
    // Positions strictly increase; revisions count up per stream.
    const positions = cells.map((c) => c[0]!.split('/').map(Number) as [number, number]);
    for (let i = 1; i < positions.length; i++) {
      const [a, b] = [positions[i - 1]!, positions[i]!];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
    expect(cells.filter((c) => c[2]!.startsWith(`task-${t1}@`)).map((c) => c[2])).toEqual([0, 1, 2, 3, 4].map((r) => `task-${t1}@${r}`));
    const row = (type: string, stream: string): string[] => cells.find((c) => c[3] === type && c[2]!.startsWith(stream))!;
    expect(row('RunStarted', runStream)).toEqual([expect.stringMatching(/^\d+\/\d+$/), '2026-11-22 10:00:01.000', `${runStream}@0`, 'RunStarted', 'human:carol', 'run of WF-FEAT-001 v1.0.0 started (P1); params release="2026.11"']);
    expect(row('HandoffRejected', `handoff-${h1}`).slice(2)).toEqual([
      `handoff-${h1}@1`,
      'HandoffRejected',
      'service:handoff-validator',
      `handoff of task ${t1} rejected (7 rules checked) [HO-PM-ARCH]: 1 rule failure; first: user_stories has 1 item; at least 3 are required`,
    ]);
    expect(row('HandoffAccepted', `handoff-${h2}`)[5]).toBe(`handoff of task ${t1} accepted: 7 rules checked [HO-PM-ARCH]`);
    expect(row('EscalationRaised', `escalation-${e1}`)[5]).toBe(`L1 escalation (approval_needed) to agent:MCT-ARCH-002, stage requirements, task ${t2}: approval of requirements pending for 30 minutes`);
    expect(row('EscalationResolved', `escalation-${e1}`)[5]).toBe('exception_granted by human:alice: approving as product owner');
    expect(row('StageApproved', runStream).slice(4)).toEqual(['human:alice', 'stage requirements approved by human:alice: approving as product owner']);
    expect(row('TaskAccepted', `task-${t1}`).slice(4)).toEqual(['agent:MCT-PM-001', 'accepted by MCT-PM-001']);
    for (const other of [otherRun, hOther, cOther]) expect(text).not.toContain(other);
    expect(text.split('\n').at(-1)).toBe(`${mine.length} events from 6 streams: run-${runId}, 2 task, 2 handoff, 1 escalation, 0 conflict and 0 notification streams`);
  });

  it('prints the events, each with its summary, as one JSON array with --json', async () => {
    const deps = cliDeps();
    expect(await runCli(['--json', 'audit', runId, '--database-url', db.url], deps)).toBe(0);
    expect(deps.io.out).toHaveLength(1);
    const events = JSON.parse(deps.io.out[0]!) as (RecordedEvent & { summary: string })[];
    expect(events.map((e) => e.type)).toEqual(appended.filter((a) => a.mine).map((a) => a.type));
    expect(events[0]).toMatchObject({ streamId: runStream, revision: 0, type: 'RunStarted', metadata: { actor: carol, correlationId: runId }, summary: expect.stringContaining('started (P1)') });
    expect(events.every((e) => /^[0-9a-f]{64}$/.test(e.hash) && typeof e.summary === 'string' && e.summary !== '')).toBe(true);
  });

  it('exits 1 with NOT_FOUND for a run the store does not have', async () => {
    const deps = cliDeps({ DATABASE_URL: db.url });
    const missing = uniqueId('run');
    expect(await runCli(['audit', missing], deps)).toBe(1);
    expect(deps.io.err).toEqual([`baton: NOT_FOUND: run ${missing} was not found in the event store (stream run-${missing} does not exist)`]);
  });

  it('exits 2 and asks whether Baton is running when Postgres does not answer', async () => {
    const deps = cliDeps();
    expect(await runCli(['audit', runId, '--database-url', 'postgres://baton:secret@127.0.0.1:1/baton'], deps)).toBe(2);
    expect(deps.io.err).toEqual(['baton: cannot reach the event store at postgres://baton:***@127.0.0.1:1/baton (connection refused). Is Baton running? Start it with: npm start']);
  });

  describe('audit verify', () => {
    const streams = (): number => new Set(appended.map((a) => a.streamId)).size;

    it('verifies every stream’s hash chain: ok with the counts, exit 0 (DATABASE_URL from the environment)', async () => {
      const deps = cliDeps({ DATABASE_URL: db.url });
      expect(await runCli(['audit', 'verify'], deps)).toBe(0);
      expect(deps.io.out).toEqual([`ok: ${streams()} streams, ${appended.length} events`]);
      expect(deps.io.err).toEqual([]);
    });

    it('names the stream and revision of a tampered event, exit 1', async () => {
      const approved = (await store.readStream(runStream)).find((e) => e.type === 'StageApproved')!;
      const res = await tamperAsTableOwner(db.pool, `UPDATE baton_es.events SET data = jsonb_set(data, '{reason}', '"approved without review"') WHERE stream_id = $1 AND revision = $2`, [
        runStream,
        approved.revision,
      ]);
      expect(res.rowCount).toBe(1);

      const deps = cliDeps();
      expect(await runCli(['audit', 'verify', '--database-url', db.url], deps)).toBe(1);
      expect(deps.io.out).toHaveLength(1);
      expect(deps.io.out[0]).toMatch(new RegExp(`^BROKEN ${runStream} at revision ${approved.revision}: stored event does not match its hash`));
      expect(deps.io.err).toEqual([`baton: 1 of ${streams()} streams failed verification`]);

      const json = cliDeps();
      expect(await runCli(['--json', 'audit', 'verify', '--database-url', db.url], json)).toBe(1);
      const report = JSON.parse(json.io.out[0]!) as { ok: boolean; streams: number; events: number; broken: { streamId: string; revision: number; reason: string }[] };
      expect(report).toMatchObject({ ok: false, streams: streams(), broken: [{ streamId: runStream, revision: approved.revision }] });
      // Events after the tampered one in its stream are not counted as checked.
      expect(report.events).toBe(appended.length - (appended.filter((a) => a.streamId === runStream).length - approved.revision));

      const one = cliDeps();
      expect(await runCli(['audit', 'verify', '--stream', `task-${t1}`, '--database-url', db.url], one)).toBe(0);
      expect(one.io.out).toEqual(['ok: 1 stream, 5 events']);
    });

    it('names a stream whose last event was deleted together with its head row, exit 1', async () => {
      const stream = `task-${t2}`;
      const last = (await store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0]!;
      await tamperAsTableOwner(
        db.pool,
        `WITH gone AS (DELETE FROM baton_es.events WHERE stream_id = $1 AND revision = $2 RETURNING stream_id)
         DELETE FROM baton_es.streams WHERE stream_id IN (SELECT stream_id FROM gone)`,
        [stream, last.revision],
      );
      const deps = cliDeps();
      expect(await runCli(['audit', 'verify', '--database-url', db.url], deps)).toBe(1);
      expect(deps.io.out.join('\n')).toMatch(new RegExp(`^BROKEN ${stream} at revision ${last.revision}: revision ${last.revision} is missing: append anchored`, 'm'));
    });
  });
});
