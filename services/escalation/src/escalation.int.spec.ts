import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { manualClock } from '@baton/aggregate';
import {
  conflictStreamId,
  DEAD_LETTER_STREAM,
  deadLetterSubject,
  escalationStreamId,
  EVENTS_STREAM,
  GetEscalation,
  ListEscalations,
  RaiseEscalation,
  ResolveEscalation,
  runStreamId,
  taskStreamId,
  workflowStreamId,
  type Actor,
  type DataOf,
  type EscalationView,
} from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, publishRelayedEvent, serviceTestOptions, type TestDatabase, testNatsUrl, uniqueId, waitFor, testNatsAuth } from '@baton/testing';
import { sql } from 'kysely';
import { startEscalation, type EscalationApp } from './adapters/escalation.app';
import {
  agentFailureEscalationId,
  approvalEscalationId,
  blockedEscalationId,
  conflictEscalationId,
  handoffAckEscalationId,
  handoffOutputEscalationId,
  rejectionsEscalationId,
  slaEscalationId,
  runSlaEscalationId,
  stageEscalationId,
  stalledEscalationId,
} from './domain';
import { quickLadderWorkflow, serveRegistry, serveScheduler, stopEscalationTest, type RegistryAgent } from './testing/escalation-inputs';
import { at, HOUR, MIN, T0 } from './testing/timeline';

const human: Actor = { kind: 'human', id: 'ceo@example.com' };
/** RaiseEscalation data with the schema's defaults filled in (the client sends what it is given). */
const raiseData = (d: Partial<DataOf<typeof RaiseEscalation>> & { issue: string }): DataOf<typeof RaiseEscalation> => ({ trigger: 'manual', options: [], blocking: '', ...d });

describe('escalation service (real NATS + Postgres)', () => {
  let tdb: TestDatabase;
  let app: EscalationApp;
  let nc: NatsConnection;
  let client: BatonClient;
  let stopRegistry: () => void;
  const clock = manualClock(T0);
  const durable = uniqueId('escalation-inputs-test');
  const startedAt = new Date(Date.now() - 1000);
  const agents = new Map<string, RegistryAgent>();

  beforeAll(async () => {
    tdb = await createTestDatabase('escalation');
    app = await startEscalation({
      ...serviceTestOptions(tdb.url),
      clock,
      // The tests fire timers themselves (fireDueTimers), at the times they set on the clock.
      pollIntervalMs: 3_600_000,
      registryTimeoutMs: 2000,
      inputs: { durable, deliverPolicy: 'new' },
    });
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 10_000 });
    stopRegistry = serveRegistry(nc, agents, T0);
  });

  afterAll(() => stopEscalationTest({ stopRegistry, app, nc, durable, tdb }));

  // ---- helpers -----------------------------------------------------------------------------

  const task = (taskId: string, type: string, data: Record<string, unknown>, when: Date) => publishRelayedEvent(nc, taskStreamId(taskId), type, { taskId, ...data }, when);


  /** A task created in `runId`'s stage, assigned to and accepted by `agentId` at `when`. */
  async function heldTask(agentId: string, when: Date, runId = uniqueId('run'), stageId = 'requirements', action = 'write_prd'): Promise<string> {
    const taskId = uniqueId('task');
    await task(taskId, 'TaskCreated', { runId, stageId, action, requirement: { capabilities: [] }, priority: 'P1', createdAt: when.toISOString() }, when);
    await task(taskId, 'TaskAssigned', { agentId, leaseEpoch: 1, assignedAt: when.toISOString(), previousAgentId: null }, when);
    await task(taskId, 'TaskAccepted', { agentId, leaseEpoch: 1, acceptedAt: when.toISOString() }, when);
    return taskId;
  }

  async function watchRow(escalationId: string) {
    const { rows } = await sql<{ open: boolean }>`SELECT open FROM baton_escalation.watches WHERE escalation_id = ${escalationId}`.execute(app.db);
    return rows[0];
  }

  /** Waits until the consumer has opened (or closed) the watch of `escalationId`. */
  const watched = (escalationId: string, open = true) =>
    waitFor(async () => (await watchRow(escalationId))?.open === open, { what: `watch ${escalationId} ${open ? 'open' : 'closed'} ${JSON.stringify(app.inputs.stats)}` });

  /** The holder of `taskId` reports it blocked at `when`; resolves with the id of its blocked-task escalation once that is watched. */
  async function blockTask(taskId: string, agentId: string, reason: string, when: Date): Promise<string> {
    await task(taskId, 'TaskBlocked', { agentId, leaseEpoch: 1, reason, blockedAt: when.toISOString() }, when);
    const id = blockedEscalationId(taskId, when);
    await watched(id);
    return id;
  }

  /**
   * The scheduler detected a conflict between two tasks outside any run, at `when`, queued on its own or (`autoResolution: null`)
   * for a decision; resolves with the id of its escalation once that is watched.
   */
  async function detectConflict(conflictId: string, conflict: { kind: string; taskIds: string[]; description: string; autoResolution: 'queue' | null }, when: Date): Promise<string> {
    await publishRelayedEvent(nc, conflictStreamId(conflictId), 'ConflictDetected', { conflictId, ...conflict, agentId: null, runId: null, details: {}, detectedAt: when.toISOString() }, when);
    const id = conflictEscalationId(conflictId);
    await watched(id);
    return id;
  }

  /** Moves the clock and fires what is due, like the poller does. */
  async function advanceTo(when: Date): Promise<void> {
    clock.set(when);
    await app.timers.fireDueTimers();
  }

  const projected = (escalationId: string, until: (v: EscalationView) => boolean = () => true) =>
    waitFor(
      async () => {
        const v = await client.query(GetEscalation, { escalationId });
        return until(v) ? v : undefined;
      },
      { what: `escalation ${escalationId} in the read model` },
    );

  /** When the raise timer of `escalationId` is due, or null when none is armed. */
  async function armedDue(escalationId: string): Promise<Date | null> {
    const { rows } = await sql<{ due_at: Date }>`SELECT due_at FROM baton_escalation.timers WHERE timer_id = ${`raise:${escalationId}`}`.execute(app.db);
    return rows[0]?.due_at ?? null;
  }

  const eventsOf = async (escalationId: string) => app.store.readStream(escalationStreamId(escalationId));
  const typesOf = async (escalationId: string) => (await eventsOf(escalationId)).map((e) => e.type);

  /** Fires what is due by `before`, when nothing is raised as `escalationId` yet, then by `after`; resolves with what was raised. */
  async function raisedBetween(escalationId: string, before: Date, after: Date): Promise<EscalationView> {
    await advanceTo(before);
    expect(await typesOf(escalationId)).toEqual([]);
    await advanceTo(after);
    return projected(escalationId);
  }

  async function storeEventCount(): Promise<number> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM baton_es.events`.execute(app.db);
    return rows[0]!.n;
  }

  // ---- the ladder ----------------------------------------------------------------------------

  describe('a blocked task climbs the ladder', () => {
    it('nothing at 29 min; L1 (peer) at 31 min; L2 (lead) at 2 h 1 min; L3 (human) at 4 h 1 min; unblocked → resolved and logged', async () => {
      // A reader of the escalation events from before they happen, as the notifier is: the relay publishes what some consumer
      // reads, and one that appears later gets only what was passed over in the last 10 s (a slow run took longer than that).
      const jsm = await jetstreamManager(nc);
      const reader = await jsm.consumers.add(EVENTS_STREAM, {
        filter_subjects: ['baton.evt.escalation.>'],
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: startedAt.toISOString(),
        ack_policy: AckPolicy.None,
        inactive_threshold: nanos(120_000),
      });
      const agentId = uniqueId('MCT-PM');
      const peer = uniqueId('MCT-PM');
      const lead = uniqueId('MCT-CPO');
      agents.set(agentId, { peers: [peer], lead });
      const runId = uniqueId('run');
      const taskId = await heldTask(agentId, T0, runId);
      const id = await blockTask(taskId, agentId, 'waiting for the API spec', T0);

      await advanceTo(at(29 * MIN));
      expect(await typesOf(id)).toEqual([]);
      await expect(client.query(GetEscalation, { escalationId: id })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      await advanceTo(at(31 * MIN));
      const l1 = await projected(id);
      expect(l1).toMatchObject({
        escalationId: id,
        trigger: 'blocked_task',
        level: 1,
        assignee: { kind: 'agent', id: peer },
        status: 'open',
        issue: `Task ${taskId} (write_prd) blocked for 31 min: waiting for the API spec`,
        workflowStage: 'requirements',
        blocking: `Task ${taskId} (write_prd), and with it stage requirements of run ${runId}`,
        runId,
        stageId: 'requirements',
        taskId,
        agentId,
        raisedAt: at(31 * MIN).toISOString(),
      });
      expect(l1.options.map((o) => o.label)).toEqual(['Wait for the blocker to clear', `Reassign the task to ${peer}`, 'Cancel the task']);
      expect(await client.query(ListEscalations, { runId, status: 'open', limit: 100 })).toEqual({ escalations: [l1] });

      await advanceTo(at(2 * HOUR + MIN));
      expect(await projected(id, (v) => v.level === 2)).toMatchObject({ assignee: { kind: 'agent', id: lead } });
      await advanceTo(at(4 * HOUR + MIN));
      expect(await projected(id, (v) => v.level === 3)).toMatchObject({ assignee: { kind: 'human', id: 'human' } });
      await advanceTo(at(9 * HOUR));
      expect(await typesOf(id)).toEqual(['EscalationRaised', 'EscalationLevelRaised', 'EscalationLevelRaised']);

      await task(taskId, 'TaskUnblocked', { agentId, leaseEpoch: 1, unblockedAt: at(9 * HOUR).toISOString() }, at(9 * HOUR));
      await watched(id, false);
      await advanceTo(at(9 * HOUR + 1000));
      const done = await projected(id, (v) => v.status === 'resolved');
      expect(done).toMatchObject({
        level: 3,
        resolution: 'resolved',
        resolvedBy: { kind: 'service', id: 'escalation' },
        resolutionReason: `task ${taskId} (write_prd) was unblocked at ${at(9 * HOUR).toISOString()}`,
      });
      // Timers after the resolution do nothing.
      await advanceTo(at(30 * HOUR));
      expect(await typesOf(id)).toEqual(['EscalationRaised', 'EscalationLevelRaised', 'EscalationLevelRaised', 'EscalationResolved']);
      const [, l2, l3, resolved] = await eventsOf(id);
      expect(l2!.data).toMatchObject({ from: 1, to: 2, reason: 'unresolved for 2 h 1 min: up to L2 lead' });
      expect(l3!.data).toMatchObject({ from: 2, to: 3 });
      expect(resolved!.metadata).toMatchObject({ actor: { kind: 'service', id: 'escalation' }, commandId: `resolve:${id}` });

      // Relayed to JetStream (baton.evt.escalation.*).
      const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, reader.name);
      try {
        const subjects = new Set<string>();
        await waitFor(
          async () => {
            const m = await consumer.next({ expires: 1000 });
            if (m?.headers?.get('Baton-Stream-Id') === escalationStreamId(id)) subjects.add(m.subject);
            return subjects.size === 3;
          },
          { what: 'the escalation events on baton.evt.escalation.*', timeoutMs: 15_000 },
        );
        expect([...subjects].sort()).toEqual(['baton.evt.escalation.level-raised', 'baton.evt.escalation.raised', 'baton.evt.escalation.resolved']);
      } finally {
        await consumer.delete();
      }

      const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
      for (const level of [1, 2, 3]) expect(metrics).toMatch(new RegExp(`baton_escalations_total\\{trigger="blocked_task",level="${level}"\\} [1-9]`));
      expect(metrics).toContain('baton_escalations_open{level="0"}');
      expect((await fetch(`${app.httpUrl}/health/ready`)).status).toBe(200);
    });

    it('unblocked before 30 min: never raised, nothing appended', async () => {
      const agentId = uniqueId('MCT-PM');
      const taskId = await heldTask(agentId, T0);
      const blockedAt = at(5 * MIN);
      const id = await blockTask(taskId, agentId, 'flaky test', blockedAt);
      await task(taskId, 'TaskUnblocked', { agentId, leaseEpoch: 1, unblockedAt: at(20 * MIN).toISOString() }, at(20 * MIN));
      await watched(id, false);
      await advanceTo(at(9 * HOUR));
      expect(await typesOf(id)).toEqual([]);
    });

    it('when the registry does not know the agent, L1 goes to the stand-in lead', async () => {
      const agentId = uniqueId('MCT-UNKNOWN');
      const taskId = await heldTask(agentId, T0);
      const id = await blockTask(taskId, agentId, '', T0);
      await advanceTo(at(31 * MIN));
      expect(await projected(id)).toMatchObject({ level: 1, assignee: { kind: 'agent', id: 'lead' }, issue: `Task ${taskId} (write_prd) blocked for 31 min: no reason given` });
      await task(taskId, 'TaskCompleted', { agentId, leaseEpoch: 1, outputs: {}, completedAt: at(40 * MIN).toISOString(), durationMs: 1 }, at(40 * MIN));
      await watched(id, false);
      await advanceTo(at(41 * MIN));
      expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolutionReason: `task ${taskId} (write_prd) completed at ${at(40 * MIN).toISOString()}` });
    });

    it('follows the ladder of the workflow (metadata.escalation), read from its registered version', async () => {
      const workflowId = uniqueId('WF-QUICK');
      const runId = uniqueId('run');
      await publishRelayedEvent(nc, workflowStreamId(workflowId), 'WorkflowVersionRegistered', { workflowId, version: '1.0.0', hash: 'h', yaml: quickLadderWorkflow(workflowId), registeredAt: T0.toISOString() }, T0);
      await publishRelayedEvent(nc, runStreamId(runId), 'RunStarted', { runId, workflowId, version: '1.0.0', hash: 'h', params: {}, priority: 'P1', trigger: {}, startedAt: T0.toISOString() }, T0);
      const agentId = uniqueId('MCT-PM');
      const taskId = await heldTask(agentId, T0, runId, 'write');
      const id = await blockTask(taskId, agentId, 'stuck', T0);
      expect(await raisedBetween(id, at(9 * MIN), at(11 * MIN))).toMatchObject({ level: 1 });
      await advanceTo(at(21 * MIN));
      await projected(id, (v) => v.level === 2);
      const [raised] = await eventsOf(id);
      expect(raised!.data).toMatchObject({ ladder: { l1AfterMs: 10 * MIN, l2AfterMs: 20 * MIN, l3AfterMs: 40 * MIN, stallAfterMs: 15 * MIN } });
      await task(taskId, 'TaskCancelled', { reason: 'run cancelled', cancelledAt: at(22 * MIN).toISOString() }, at(22 * MIN));
      await watched(id, false);
      await advanceTo(at(23 * MIN));
      await projected(id, (v) => v.status === 'resolved');
    });
  });

  // ---- the other triggers ------------------------------------------------------------------

  describe('triggers', () => {
    it('stalled: a held task with no progress for 2 h is escalated at L1; progress resolves it', async () => {
      const agentId = uniqueId('MCT-BE');
      agents.set(agentId, { peers: [], lead: 'MCT-ARCH-001' });
      const taskId = await heldTask(agentId, T0, uniqueId('run'), 'build', 'implement_api');
      await task(taskId, 'TaskProgressReported', { agentId, leaseEpoch: 1, percent: 40, message: null, tokensUsed: null, reportedAt: at(HOUR).toISOString() }, at(HOUR));
      const id = stalledEscalationId(taskId, 1);
      await waitFor(async () => (await armedDue(id))?.getTime() === at(3 * HOUR).getTime(), { what: 'the stall timer moved by the progress report' });
      expect(await raisedBetween(id, at(2 * HOUR + 30 * MIN), at(3 * HOUR + MIN))).toMatchObject({
        trigger: 'stalled_task',
        level: 1,
        // No peer: L1 goes to the lead.
        assignee: { kind: 'agent', id: 'MCT-ARCH-001' },
        issue: `Task ${taskId} (implement_api) has made no progress for 2 h 1 min (agent ${agentId}, last at 40%)`,
      });
      await task(taskId, 'TaskProgressReported', { agentId, leaseEpoch: 1, percent: 60, message: null, tokensUsed: null, reportedAt: at(3 * HOUR + 10 * MIN).toISOString() }, at(3 * HOUR + 10 * MIN));
      await watched(id, false);
      await watched(stalledEscalationId(taskId, 2));
      await advanceTo(at(3 * HOUR + 11 * MIN));
      expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolution: 'resolved', resolutionReason: expect.stringContaining('moved again') });
    });

    it('agent failure: the holder went offline → L1 agent_failure, resolved when the task completes', async () => {
      const agentId = uniqueId('MCT-BE');
      const taskId = await heldTask(agentId, T0);
      const releasedAt = at(10 * MIN);
      await task(taskId, 'TaskReleased', { agentId, leaseEpoch: 1, reason: 'agent_offline', releasedAt: releasedAt.toISOString() }, releasedAt);
      const id = agentFailureEscalationId(taskId, releasedAt);
      await watched(id);
      await advanceTo(at(11 * MIN));
      expect(await projected(id)).toMatchObject({ trigger: 'agent_failure', level: 1, issue: `Agent ${agentId} went offline holding task ${taskId} (write_prd); the task is back in the queue` });
      const other = uniqueId('MCT-BE');
      await task(taskId, 'TaskAssigned', { agentId: other, leaseEpoch: 2, assignedAt: at(12 * MIN).toISOString(), previousAgentId: agentId }, at(12 * MIN));
      await task(taskId, 'TaskCompleted', { agentId: other, leaseEpoch: 2, outputs: {}, completedAt: at(20 * MIN).toISOString(), durationMs: 1 }, at(20 * MIN));
      await watched(id, false);
      await advanceTo(at(21 * MIN));
      await projected(id, (v) => v.status === 'resolved');
    });

    it('a final failure is an agent_failure escalation too', async () => {
      const agentId = uniqueId('MCT-BE');
      const taskId = await heldTask(agentId, T0);
      const failedAt = at(MIN);
      await task(taskId, 'TaskFailed', { agentId, leaseEpoch: 1, error: { message: 'disk full', code: null }, final: true, failedAt: failedAt.toISOString() }, failedAt);
      const id = agentFailureEscalationId(taskId, failedAt);
      await watched(id);
      await advanceTo(at(2 * MIN));
      expect(await projected(id)).toMatchObject({ level: 1, issue: `Task ${taskId} (write_prd) failed for good (agent ${agentId}): disk full` });
    });

    it('handoff refused 3 times → repeated_rejections at L3 (human); the task completing resolves it', async () => {
      const agentId = uniqueId('MCT-PM');
      const taskId = await heldTask(agentId, T0);
      for (const n of [1, 2, 3]) {
        await task(
          taskId,
          'TaskHandoffRejected',
          {
            agentId,
            leaseEpoch: 1,
            handoffId: `h-${n}`,
            failures: [{ source: 'handoff', specId: 'HO-PM-ARCH', artifact: 'prd.md', rule: 'user_stories: min 3', message: 'user_stories has 0 items', missing: [] }],
            rejections: n,
            rejectedAt: at(n * MIN).toISOString(),
          },
          at(n * MIN),
        );
      }
      const id = rejectionsEscalationId(taskId, 1);
      await watched(id);
      await advanceTo(at(4 * MIN));
      expect(await projected(id)).toMatchObject({
        trigger: 'repeated_rejections',
        level: 3,
        assignee: { kind: 'human', id: 'human' },
        issue: `Task ${taskId} (write_prd): handoff refused 3 times by its checks: prd.md: user_stories has 0 items`,
      });
      await task(taskId, 'TaskCompleted', { agentId, leaseEpoch: 1, outputs: {}, completedAt: at(30 * MIN).toISOString(), durationMs: 1 }, at(30 * MIN));
      await watched(id, false);
      await advanceTo(at(31 * MIN));
      await projected(id, (v) => v.status === 'resolved');
    });

    it('SLA breach → sla_breach at L1 to the stage agent\'s peer; the stage completing resolves it', async () => {
      const agentId = uniqueId('MCT-QA');
      const peer = uniqueId('MCT-QA');
      agents.set(agentId, { peers: [peer], lead: null });
      const runId = uniqueId('run');
      await heldTask(agentId, T0, runId, 'review', 'review_code');
      const breachedAt = at(4 * HOUR);
      await publishRelayedEvent(nc, runStreamId(runId), 'StageSlaBreached', { runId, workflowId: 'WF-FEAT-001', stageId: 'review', iteration: 1, slaMs: 4 * HOUR, startedAt: T0.toISOString(), breachedAt: breachedAt.toISOString() }, breachedAt);
      const id = slaEscalationId(runId, 'review', 1);
      await watched(id);
      await advanceTo(at(4 * HOUR + 1000));
      expect(await projected(id)).toMatchObject({
        trigger: 'sla_breach',
        level: 1,
        assignee: { kind: 'agent', id: peer },
        agentId,
        issue: `Stage review of run ${runId} (WF-FEAT-001) ran past its SLA of 4 h (started ${T0.toISOString()})`,
        workflowStage: 'review (WF-FEAT-001)',
      });
      await publishRelayedEvent(nc, runStreamId(runId), 'StageCompleted', { runId, stageId: 'review', iteration: 1, outcome: null, outputs: {}, next: { ready: [], waiting: [] }, completedAt: at(5 * HOUR).toISOString() }, at(5 * HOUR));
      await watched(id, false);
      await advanceTo(at(5 * HOUR + 1000));
      expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolutionReason: `stage review of run ${runId} completed` });
    });

    it('run-level SLA breach → sla_breach about the run; the run ending resolves it', async () => {
      const runId = uniqueId('run');
      const breachedAt = at(3 * HOUR);
      await publishRelayedEvent(nc, runStreamId(runId), 'RunSlaBreached', { runId, workflowId: 'WF-FEAT-001', slaMs: 3 * HOUR, startedAt: T0.toISOString(), breachedAt: breachedAt.toISOString() }, breachedAt);
      const id = runSlaEscalationId(runId);
      await watched(id);
      await advanceTo(at(3 * HOUR + 1000));
      expect(await projected(id)).toMatchObject({ trigger: 'sla_breach', runId, issue: `Run ${runId} (WF-FEAT-001) ran past its SLA of 3 h (started ${T0.toISOString()})` });
      await publishRelayedEvent(nc, runStreamId(runId), 'RunCompleted', { runId, completedAt: at(4 * HOUR).toISOString() }, at(4 * HOUR));
      await watched(id, false);
      await advanceTo(at(4 * HOUR + 1000));
      expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolutionReason: `run ${runId} completed` });
    });

    it('a conflict with no auto-resolution reaches a human within 5 min; ConflictResolved resolves it', async () => {
      const conflictId = uniqueId('conflict');
      const detectedAt = at(10 * MIN);
      const id = await detectConflict(conflictId, { kind: 'duplicate_task', taskIds: ['t-a', 't-b'], description: 'work item W-1 submitted twice', autoResolution: null }, detectedAt);
      expect(await raisedBetween(id, at(14 * MIN + 59_000), at(15 * MIN))).toMatchObject({
        trigger: 'conflict',
        level: 3,
        assignee: { kind: 'human', id: 'human' },
        issue: 'Conflict ' + conflictId + ' (duplicate_task) unresolved for 5 min: work item W-1 submitted twice',
        blocking: 'Tasks t-a, t-b',
        recommendation: 'Keep one of the duplicates and cancel the other.',
      });
      await publishRelayedEvent(nc, conflictStreamId(conflictId), 'ConflictResolved', { conflictId, kind: 'duplicate_task', resolution: 'queue', by: human, reason: 'run them one after the other', reassignTo: null, resolvedAt: at(16 * MIN).toISOString() }, at(16 * MIN));
      await watched(id, false);
      await advanceTo(at(16 * MIN + 1000));
      expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolvedBy: human, resolutionReason: `conflict ${conflictId} resolved by queue: run them one after the other` });
    });

    it('a queued conflict that comes to need a decision (its dependency failed) reaches a human 5 min later', async () => {
      const conflictId = uniqueId('conflict');
      const id = await detectConflict(conflictId, { kind: 'dependency_clash', taskIds: ['t-e', 't-f'], description: 't-e waits on t-f', autoResolution: 'queue' }, T0);
      await advanceTo(at(HOUR));
      expect(await typesOf(id)).toEqual([]);
      await publishRelayedEvent(nc, conflictStreamId(conflictId), 'ConflictNeedsDecision', { conflictId, kind: 'dependency_clash', taskIds: ['t-e', 't-f'], runId: null, reason: 't-f failed', at: at(HOUR).toISOString() }, at(HOUR));
      await waitFor(async () => (await armedDue(id)) !== null, { what: 'the conflict armed for a decision' });
      expect(await raisedBetween(id, at(HOUR + 4 * MIN + 59_000), at(HOUR + 5 * MIN))).toMatchObject({ trigger: 'conflict', level: 3, assignee: { kind: 'human', id: 'human' } });
    });

    it('a malformed input event is dead-lettered and does not hold up the next ones', async () => {
      const agentId = uniqueId('MCT-PM');
      const taskId = await heldTask(agentId, T0);
      const before = app.inputs.stats.deadLettered;
      await task(taskId, 'TaskBlocked', { agentId, leaseEpoch: 1, reason: 'no blockedAt' }, T0);
      await task(taskId, 'TaskBlocked', { agentId, leaseEpoch: 1, reason: 'ok', blockedAt: at(MIN).toISOString() }, at(MIN));
      await watched(blockedEscalationId(taskId, at(MIN)));
      await waitFor(() => app.inputs.stats.deadLettered === before + 1, { what: 'the malformed TaskBlocked dead-lettered' });
      const dlq = await (await jetstreamManager(nc)).streams.info(DEAD_LETTER_STREAM, { subjects_filter: deadLetterSubject(durable) });
      expect(Object.values(dlq.state.subjects ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    });

    it('a conflict the scheduler resolves by escalating goes to a human at once', async () => {
      const conflictId = uniqueId('conflict');
      const id = await detectConflict(conflictId, { kind: 'file_overlap', taskIds: ['t-c', 't-d'], description: 'src/a.ts', autoResolution: 'queue' }, T0);
      await advanceTo(at(HOUR));
      expect(await typesOf(id)).toEqual([]);
      await publishRelayedEvent(nc, conflictStreamId(conflictId), 'ConflictResolved', { conflictId, kind: 'file_overlap', resolution: 'escalate', by: human, reason: 'needs a decision', reassignTo: null, resolvedAt: at(HOUR).toISOString() }, at(HOUR));
      await waitFor(async () => (await app.timers.fireDueTimers()) >= 0 && (await typesOf(id)).length === 1, { what: 'the conflict escalated' });
      expect(await projected(id)).toMatchObject({ level: 3, issue: `Conflict ${conflictId} (file_overlap) was escalated by the scheduler: src/a.ts` });
    });
  });

  // ---- handoff SLAs ----------------------------------------------------------------------------

  describe('handoff SLAs (inputs.handoffSla of the receiving task)', () => {
    /** Seed 000's HO-PM-ARCH: `sla: { acknowledgment: "30 minutes", first_output: "4 hours" }`, as the scheduler puts it in the task's inputs. */
    const SLA = { specIds: ['HO-PM-ARCH'], acknowledgmentMs: 30 * MIN, firstOutputMs: 4 * HOUR };

    const created = (taskId: string, runId: string, inputs: Record<string, unknown>, when = T0) =>
      task(taskId, 'TaskCreated', { runId, stageId: 'architecture', action: 'design_architecture', requirement: { capabilities: [] }, priority: 'P1', inputs, createdAt: when.toISOString() }, when);
    const assigned = (taskId: string, agentId: string, leaseEpoch: number, when: Date, previousAgentId: string | null = null) =>
      task(taskId, 'TaskAssigned', { agentId, leaseEpoch, assignedAt: when.toISOString(), previousAgentId }, when);

    /** An architect with a peer and a lead in the registry. */
    function architect(): { agentId: string; peer: string; lead: string } {
      const team = { agentId: uniqueId('MCT-ARCH'), peer: uniqueId('MCT-ARCH'), lead: uniqueId('MCT-CTO') };
      agents.set(team.agentId, { peers: [team.peer], lead: team.lead });
      return team;
    }

    const planAgent = async (escalationId: string) => {
      const { rows } = await sql<{ agent: string }>`SELECT plan->'facts'->>'agentId' AS agent FROM baton_escalation.watches WHERE escalation_id = ${escalationId}`.execute(app.db);
      return rows[0]?.agent;
    };

    it('acknowledgment: nothing at 29 min, sla_breach at L1 (peer) at 31 min, resolved by TaskAccepted; first output: raised at 4 h 1 min, climbs, resolved by the first progress report', async () => {
      const { agentId, peer, lead } = architect();
      const runId = uniqueId('run');
      const taskId = uniqueId('task');
      await created(taskId, runId, { handoffSla: SLA, prd: 'sha256:abc' });
      await assigned(taskId, agentId, 1, T0);
      const ack = handoffAckEscalationId(taskId);
      const output = handoffOutputEscalationId(taskId);
      expect([ack, output]).toEqual([`handoff-sla-ack-${taskId}`, `handoff-sla-output-${taskId}`]);
      await watched(ack);
      await watched(output);

      const breach = await raisedBetween(ack, at(29 * MIN), at(31 * MIN));
      expect(breach).toMatchObject({
        trigger: 'sla_breach',
        level: 1,
        assignee: { kind: 'agent', id: peer },
        status: 'open',
        issue: `Handoff HO-PM-ARCH: ${agentId} did not acknowledge task ${taskId} (design_architecture) within 30 min`,
        workflowStage: 'architecture',
        blocking: `Stage architecture of run ${runId}`,
        runId,
        stageId: 'architecture',
        taskId,
        agentId,
      });
      expect(breach.options.map((o) => o.label)).toEqual([`Wait for ${agentId} to acknowledge the task`, `Reassign the task to ${peer}`, 'Escalate to the lead']);
      expect(breach.options.every((o) => o.tradeoff.length > 0)).toBe(true);
      expect((await eventsOf(ack))[0]!.data).toMatchObject({ since: at(30 * MIN).toISOString() });

      await task(taskId, 'TaskAccepted', { agentId, leaseEpoch: 1, acceptedAt: at(40 * MIN).toISOString() }, at(40 * MIN));
      await watched(ack, false);
      await advanceTo(at(41 * MIN));
      expect(await projected(ack, (v) => v.status === 'resolved')).toMatchObject({
        level: 1,
        resolution: 'resolved',
        resolvedBy: { kind: 'service', id: 'escalation' },
        resolutionReason: `${agentId} accepted task ${taskId} (design_architecture) at ${at(40 * MIN).toISOString()}`,
      });
      // Acceptance is not output: that clock runs on.
      expect(await watchRow(output)).toEqual({ open: true });

      expect(await raisedBetween(output, at(3 * HOUR + 59 * MIN), at(4 * HOUR + MIN))).toMatchObject({
        trigger: 'sla_breach',
        level: 1,
        assignee: { kind: 'agent', id: peer },
        issue: `Handoff HO-PM-ARCH: ${agentId} produced no first output on task ${taskId} (design_architecture) within 4 h`,
      });
      // It climbs like the others, from the breach: L2 (lead) 2 h after it.
      await advanceTo(at(6 * HOUR + MIN));
      expect(await projected(output, (v) => v.level === 2)).toMatchObject({ assignee: { kind: 'agent', id: lead } });

      const reportedAt = at(6 * HOUR + 10 * MIN);
      await task(taskId, 'TaskProgressReported', { agentId, leaseEpoch: 1, percent: 10, message: 'drafting the TDD', tokensUsed: null, reportedAt: reportedAt.toISOString() }, reportedAt);
      await watched(output, false);
      await advanceTo(at(6 * HOUR + 11 * MIN));
      expect(await projected(output, (v) => v.status === 'resolved')).toMatchObject({
        level: 2,
        resolution: 'resolved',
        resolvedBy: { kind: 'service', id: 'escalation' },
        resolutionReason: `${agentId} reported progress on task ${taskId} (design_architecture) (10%) at ${reportedAt.toISOString()}`,
      });
      await advanceTo(at(30 * HOUR));
      expect(await typesOf(ack)).toEqual(['EscalationRaised', 'EscalationResolved']);
      expect(await typesOf(output)).toEqual(['EscalationRaised', 'EscalationLevelRaised', 'EscalationResolved']);
    });

    it('a released task keeps its clock (from the first assignment); the breach names the agent holding it; assignments again raise nothing twice', async () => {
      const first = architect();
      const second = architect();
      const runId = uniqueId('run');
      const taskId = uniqueId('task');
      await created(taskId, runId, { handoffSla: { ...SLA, firstOutputMs: null } });
      await assigned(taskId, first.agentId, 1, T0);
      const ack = handoffAckEscalationId(taskId);
      await watched(ack);
      await task(taskId, 'TaskReleased', { agentId: first.agentId, leaseEpoch: 1, reason: 'timed_out', releasedAt: at(10 * MIN).toISOString() }, at(10 * MIN));
      await assigned(taskId, second.agentId, 2, at(20 * MIN), first.agentId);
      await waitFor(async () => (await planAgent(ack)) === second.agentId, { what: 'the pending breach moved to the new holder' });
      expect(await armedDue(ack)).toEqual(at(30 * MIN));
      // No first-output clock in this SLA.
      expect(await watchRow(handoffOutputEscalationId(taskId))).toBeUndefined();

      expect(await raisedBetween(ack, at(29 * MIN), at(31 * MIN))).toMatchObject({
        level: 1,
        agentId: second.agentId,
        assignee: { kind: 'agent', id: second.peer },
        issue: `Handoff HO-PM-ARCH: ${second.agentId} did not acknowledge task ${taskId} (design_architecture) within 30 min`,
      });
      // Released and assigned once more after the breach: the same escalation goes on, nothing new is raised.
      await task(taskId, 'TaskReleased', { agentId: second.agentId, leaseEpoch: 2, reason: 'timed_out', releasedAt: at(35 * MIN).toISOString() }, at(35 * MIN));
      await assigned(taskId, first.agentId, 3, at(36 * MIN), second.agentId);
      await task(taskId, 'TaskAccepted', { agentId: first.agentId, leaseEpoch: 3, acceptedAt: at(37 * MIN).toISOString() }, at(37 * MIN));
      await watched(ack, false);
      await advanceTo(at(38 * MIN));
      expect(await projected(ack, (v) => v.status === 'resolved')).toMatchObject({ agentId: second.agentId, resolutionReason: expect.stringContaining(`${first.agentId} accepted task ${taskId}`) });
      expect(await typesOf(ack)).toEqual(['EscalationRaised', 'EscalationResolved']);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM baton_escalation.watches WHERE task_id = ${taskId} AND trigger = 'sla_breach'`.execute(app.db);
      expect(rows[0]!.n).toBe(1);
    });

    it('completion resolves both breaches; a task without handoffSla, or with an invalid one, is not watched for it', async () => {
      const { agentId } = architect();
      const runId = uniqueId('run');
      const taskId = uniqueId('task');
      await created(taskId, runId, { handoffSla: SLA });
      await assigned(taskId, agentId, 1, T0);
      await watched(handoffOutputEscalationId(taskId));
      // Nobody looked for 4 h 1 min (the service was down, say): both are raised, the acknowledgment one at the level its time gives.
      await advanceTo(at(4 * HOUR + MIN));
      expect(await projected(handoffOutputEscalationId(taskId))).toMatchObject({ level: 1 });
      expect(await projected(handoffAckEscalationId(taskId))).toMatchObject({ level: 2 });
      const completedAt = at(4 * HOUR + 5 * MIN);
      await task(taskId, 'TaskCompleted', { agentId, leaseEpoch: 1, outputs: {}, completedAt: completedAt.toISOString(), durationMs: 1 }, completedAt);
      await watched(handoffAckEscalationId(taskId), false);
      await advanceTo(at(4 * HOUR + 6 * MIN));
      for (const id of [handoffAckEscalationId(taskId), handoffOutputEscalationId(taskId)]) {
        expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolutionReason: `task ${taskId} (design_architecture) completed at ${completedAt.toISOString()}` });
      }

      const deadBefore = app.inputs.stats.deadLettered;
      const plain = uniqueId('task');
      const invalid = uniqueId('task');
      await created(plain, runId, {});
      await created(invalid, runId, { handoffSla: { specIds: ['HO-PM-ARCH'], acknowledgmentMs: '30 minutes', firstOutputMs: null } });
      for (const id of [plain, invalid]) await assigned(id, agentId, 1, T0);
      // The assignment was applied (its stall watch is open) without a handoff watch.
      await watched(stalledEscalationId(invalid, 1));
      await watched(stalledEscalationId(plain, 1));
      for (const id of [plain, invalid]) {
        expect(await watchRow(handoffAckEscalationId(id))).toBeUndefined();
        expect(await watchRow(handoffOutputEscalationId(id))).toBeUndefined();
      }
      expect(app.inputs.stats.deadLettered).toBe(deadBefore);
      await advanceTo(at(30 * HOUR));
      expect(await typesOf(handoffAckEscalationId(invalid))).toEqual([]);
    });
  });

  // ---- stages held for a human -------------------------------------------------------------

  describe('StageEscalated and resolve-escalation', () => {
    /** The options the scheduler offers with the escalated stage (and the escalation shows as they are). */
    const STAGE_OPTIONS = [
      { label: 'Approve as is', tradeoff: 'ships with the known naming issues' },
      { label: 'Send back with guidance', tradeoff: 'one more iteration, about a day' },
    ];

    /** The scheduler escalated a stage of `runId` to a person at `when`; resolves with the id of its escalation once that is watched. */
    async function escalateStage(runId: string, stageId: string, iteration: number, when: Date): Promise<string> {
      await publishRelayedEvent(
        nc,
        runStreamId(runId),
        'StageEscalated',
        {
          runId,
          workflowId: 'WF-FEAT-001',
          stageId,
          iteration,
          trigger: 'repeated_rejections',
          rejections: 3,
          issue: 'Code review rejected the API three times',
          options: STAGE_OPTIONS,
          recommendation: 'Send back with guidance',
          blocking: 'deploy',
          findings: [],
          escalatedAt: when.toISOString(),
        },
        when,
      );
      const id = stageEscalationId(runId, stageId, iteration);
      await watched(id);
      return id;
    }

    it('StageEscalated → L3 escalation run-<runId>-<stageId>-<iteration> in the escalation format', async () => {
      const runId = uniqueId('run');
      const id = await escalateStage(runId, 'review', 2, T0);
      expect(id).toBe(`run-${runId}-review-2`);
      await advanceTo(at(1000));
      expect(await projected(id)).toMatchObject({
        trigger: 'repeated_rejections',
        level: 3,
        assignee: { kind: 'human', id: 'human' },
        issue: 'Code review rejected the API three times',
        workflowStage: 'review (WF-FEAT-001)',
        options: STAGE_OPTIONS,
        recommendation: 'Send back with guidance',
        blocking: 'deploy',
        runId,
        stageId: 'review',
      });
    });

    it('resolve-escalation exception_granted approves the stage in the scheduler as the resolving person, then records EscalationResolved (scheduler test double over real NATS)', async () => {
      const scheduler = serveScheduler(nc);
      try {
        const runId = uniqueId('run');
        const id = await escalateStage(runId, 'review', 1, T0);
        await advanceTo(at(1000));
        await projected(id);
        const commandId = randomUUID();
        const view = await client.command(ResolveEscalation, { escalationId: id, resolution: 'exception_granted', reason: 'naming can wait for the next release' }, { commandId, actor: human });
        expect(view).toMatchObject({ status: 'resolved', resolution: 'exception_granted', resolvedBy: human, resolutionReason: 'naming can wait for the next release' });
        expect(scheduler.requests).toEqual([
          {
            subject: 'baton.cmd.scheduler.approve-stage',
            body: expect.objectContaining({ commandId: `${commandId}:approve-stage`, actor: human, data: { runId, stageId: 'review', reason: 'naming can wait for the next release' } }),
          },
        ]);
        const resolved = (await eventsOf(id))[1]!;
        expect(resolved).toMatchObject({ type: 'EscalationResolved', data: { resolution: 'exception_granted', by: human }, metadata: { actor: human, commandId } });

        // The same command again: the first reply, no second approval.
        expect(await client.command(ResolveEscalation, { escalationId: id, resolution: 'exception_granted', reason: 'naming can wait for the next release' }, { commandId, actor: human })).toMatchObject({ status: 'resolved' });
        expect(scheduler.requests).toHaveLength(1);

        // The scheduler's StageApproved comes back: already resolved, nothing more.
        await publishRelayedEvent(nc, runStreamId(runId), 'StageApproved', { runId, stageId: 'review', iteration: 1, by: human, reason: 'ok', approvedAt: at(MIN).toISOString() }, at(MIN));
        await watched(id, false);
        await advanceTo(at(2 * MIN));
        expect(await typesOf(id)).toEqual(['EscalationRaised', 'EscalationResolved']);
      } finally {
        scheduler.stop();
      }
    });

    it('resolve-escalation resolved rejects the stage; when the scheduler refuses, its error is the reply and nothing is appended', async () => {
      const scheduler = serveScheduler(nc, () => ({ code: 'FORBIDDEN', message: 'the one who started the run cannot reject it' }));
      try {
        const runId = uniqueId('run');
        const id = await escalateStage(runId, 'review', 1, T0);
        await advanceTo(at(1000));
        await projected(id);
        const before = await storeEventCount();
        await expect(client.command(ResolveEscalation, { escalationId: id, resolution: 'resolved', reason: 'rework it' }, { commandId: randomUUID(), actor: human })).rejects.toMatchObject({
          code: 'FORBIDDEN',
          message: 'the one who started the run cannot reject it',
        });
        expect(scheduler.requests.map((r) => r.subject)).toEqual(['baton.cmd.scheduler.reject-stage']);
        expect(await storeEventCount()).toBe(before);
        expect(await projected(id)).toMatchObject({ status: 'open' });
      } finally {
        scheduler.stop();
      }
    });

    it('without a scheduler listening, resolving a held stage is UNAVAILABLE and appends nothing; without an actor the resolver is a person', async () => {
      const runId = uniqueId('run');
      const id = await escalateStage(runId, 'review', 1, T0);
      await advanceTo(at(1000));
      await projected(id);
      await expect(client.command(ResolveEscalation, { escalationId: id, resolution: 'exception_granted', reason: 'ok' }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(await typesOf(id)).toEqual(['EscalationRaised']);
      // reassigned does not go to the scheduler (there is no task to hand over).
      expect(await client.command(ResolveEscalation, { escalationId: id, resolution: 'reassigned', reason: 'the architect takes it' }, { commandId: randomUUID() })).toMatchObject({
        resolution: 'reassigned',
        resolvedBy: { kind: 'human', id: 'human' },
      });
    });

    it('StageRejected from the scheduler resolves it, logged as the person who rejected', async () => {
      const runId = uniqueId('run');
      const id = await escalateStage(runId, 'review', 3, T0);
      await advanceTo(at(1000));
      await projected(id);
      await publishRelayedEvent(nc, runStreamId(runId), 'StageRejected', { runId, stageId: 'review', iteration: 3, by: human, reason: 'needs rework', findings: [], rejections: 4, rejectedAt: at(MIN).toISOString() }, at(MIN));
      await watched(id, false);
      await advanceTo(at(2 * MIN));
      expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolution: 'resolved', resolvedBy: human });
    });

    it('an approval left waiting past the L1 threshold becomes approval_needed at L1; the approval resolves it as exception_granted', async () => {
      const runId = uniqueId('run');
      await publishRelayedEvent(
        nc,
        runStreamId(runId),
        'StageApprovalRequested',
        { runId, workflowId: 'WF-DEPLOY', stageId: 'deploy', iteration: 1, kind: 'human', when: 'before', approvers: ['cto'], reason: 'requires_approval', taskIds: [], requestedAt: T0.toISOString() },
        T0,
      );
      const id = approvalEscalationId(runId, 'deploy', 1);
      await watched(id);
      expect(await raisedBetween(id, at(29 * MIN), at(31 * MIN))).toMatchObject({ trigger: 'approval_needed', level: 1, issue: `Stage deploy of run ${runId} (WF-DEPLOY) has waited 31 min for approval by cto` });
      await publishRelayedEvent(nc, runStreamId(runId), 'StageApproved', { runId, stageId: 'deploy', iteration: 1, by: human, reason: 'go', approvedAt: at(40 * MIN).toISOString() }, at(40 * MIN));
      await watched(id, false);
      await advanceTo(at(41 * MIN));
      expect(await projected(id, (v) => v.status === 'resolved')).toMatchObject({ resolution: 'exception_granted', resolvedBy: human });
    });
  });

  // ---- commands by hand ------------------------------------------------------------------------

  describe('raise-escalation and bad commands', () => {
    it('raise-escalation: starts at the trigger\'s level with its assignee, is idempotent by id, and climbs like the others', async () => {
      const agentId = uniqueId('MCT-BE');
      const lead = uniqueId('MCT-ARCH');
      agents.set(agentId, { peers: ['MCT-BE-002'], lead });
      const escalationId = uniqueId('esc');
      const data = {
        escalationId,
        trigger: 'cross_domain' as const,
        issue: 'The API change needs the data team',
        options: [{ label: 'Ask the data team', tradeoff: 'a day of waiting' }],
        blocking: 'the orders API',
        agentId,
      };
      clock.set(T0);
      const view = await client.command(RaiseEscalation, raiseData(data), { commandId: randomUUID(), actor: { kind: 'agent', id: agentId } });
      expect(view).toMatchObject({ escalationId, trigger: 'cross_domain', level: 2, assignee: { kind: 'agent', id: lead }, status: 'open', recommendation: null, workflowStage: null, agentId });
      expect(await client.command(RaiseEscalation, raiseData(data), { commandId: randomUUID() })).toEqual(view);
      expect(await typesOf(escalationId)).toEqual(['EscalationRaised']);
      await expect(client.command(RaiseEscalation, raiseData({ ...data, issue: 'another problem' }), { commandId: randomUUID() })).rejects.toMatchObject({ code: 'CONFLICT' });

      await projected(escalationId);
      await advanceTo(at(4 * HOUR));
      expect(await projected(escalationId, (v) => v.level === 3)).toMatchObject({ assignee: { kind: 'human', id: 'human' } });

      // Without an id: manual-<commandId>, so a retry finds the same escalation.
      const commandId = randomUUID();
      const manual = await client.command(RaiseEscalation, raiseData({ issue: 'Which database?', level: 1 }), { commandId });
      expect(manual).toMatchObject({ escalationId: `manual-${commandId}`, trigger: 'manual', level: 1, assignee: { kind: 'agent', id: 'lead' } });
      expect(await client.command(RaiseEscalation, raiseData({ issue: 'Which database?', level: 1 }), { commandId })).toEqual(manual);
    });

    it('bad commands get their codes and append nothing', async () => {
      const escalationId = uniqueId('esc');
      await client.command(RaiseEscalation, raiseData({ escalationId, issue: 'x', level: 1 }), { commandId: randomUUID() });
      await client.command(ResolveEscalation, { escalationId, resolution: 'resolved', reason: 'done' }, { commandId: randomUUID(), actor: human });
      const before = await storeEventCount();

      await expect(client.command(ResolveEscalation, { escalationId: uniqueId('nope'), resolution: 'resolved', reason: 'x' }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(client.command(ResolveEscalation, { escalationId, resolution: 'resolved', reason: 'again' }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      await expect(client.command(RaiseEscalation, { issue: 'x', level: 7 } as never, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(client.command(RaiseEscalation, { issue: '', trigger: 'bored' } as never, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(client.command(ResolveEscalation, { escalationId, resolution: 'forgotten', reason: 'x' } as never, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await client.requestRaw(ResolveEscalation.subject, '{nope')).toMatchObject({ ok: false, error: { code: 'INVALID_JSON' } });
      await expect(client.query(GetEscalation, { escalationId: uniqueId('nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(client.query(ListEscalations, { level: 9 } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

      // reassigned on a task escalation needs reassignTo.
      const taskEscalation = uniqueId('esc');
      await client.command(RaiseEscalation, raiseData({ escalationId: taskEscalation, issue: 'stuck', taskId: 't-1' }), { commandId: randomUUID() });
      const afterRaise = await storeEventCount();
      await expect(client.command(ResolveEscalation, { escalationId: taskEscalation, resolution: 'reassigned', reason: 'x' }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await storeEventCount()).toBe(afterRaise);
      expect(afterRaise).toBe(before + 1);
      // With reassignTo, the task goes to that agent in the scheduler first (scheduler test double over real NATS); a refusal records nothing.
      const refusing = serveScheduler(nc, () => ({ code: 'FORBIDDEN', message: 'agent MCT-BE-002 is offline or removed' }));
      try {
        await expect(
          client.command(ResolveEscalation, { escalationId: taskEscalation, resolution: 'reassigned', reason: 'be-2 knows this code', reassignTo: 'MCT-BE-002' }, { commandId: randomUUID(), actor: human }),
        ).rejects.toMatchObject({ code: 'FORBIDDEN' });
        expect(await storeEventCount()).toBe(afterRaise);
      } finally {
        refusing.stop();
      }
      const scheduler = serveScheduler(nc);
      try {
        const commandId = randomUUID();
        expect(
          await client.command(ResolveEscalation, { escalationId: taskEscalation, resolution: 'reassigned', reason: 'be-2 knows this code', reassignTo: 'MCT-BE-002' }, { commandId, actor: human }),
        ).toMatchObject({ resolution: 'reassigned' });
        expect(scheduler.requests).toEqual([
          {
            subject: 'baton.cmd.scheduler.reassign-task',
            body: expect.objectContaining({ commandId: `${commandId}:reassign-task`, actor: human, data: { taskId: 't-1', toAgentId: 'MCT-BE-002', reason: 'be-2 knows this code' } }),
          },
        ]);
      } finally {
        scheduler.stop();
      }
      expect((await eventsOf(taskEscalation))[1]!.data).toMatchObject({ reassignTo: 'MCT-BE-002' });
    });

    it('a command id used again with a different body is IDEMPOTENCY_CONFLICT and appends nothing', async () => {
      const raiseId = randomUUID();
      const raised = await client.command(RaiseEscalation, raiseData({ issue: 'Which queue?', level: 1 }), { commandId: raiseId });
      const resolveId = randomUUID();
      const resolve = (reason: string) => ({ commandId: resolveId, schemaVersion: 1, actor: human, data: { escalationId: raised.escalationId, resolution: 'resolved', reason } });
      expect(await client.requestRaw(ResolveEscalation.subject, JSON.stringify(resolve('the queue is chosen')))).toMatchObject({ ok: true });
      const before = await storeEventCount();

      const raiseAgain = { commandId: raiseId, schemaVersion: 1, data: raiseData({ issue: 'Which cache?', level: 1 }) };
      expect(await client.requestRaw(RaiseEscalation.subject, JSON.stringify(raiseAgain))).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT' } });
      expect(await client.requestRaw(ResolveEscalation.subject, JSON.stringify(resolve('the cache is chosen')))).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT' } });
      // The same body again is a repeat: the first outcome.
      expect(await client.requestRaw(ResolveEscalation.subject, JSON.stringify(resolve('the queue is chosen')))).toMatchObject({ ok: true, data: { status: 'resolved', resolutionReason: 'the queue is chosen' } });
      expect(await storeEventCount()).toBe(before);
      expect(await typesOf(raised.escalationId)).toEqual(['EscalationRaised', 'EscalationResolved']);
    });

    it('list-escalations filters by status, run and level', async () => {
      const runId = uniqueId('run');
      const ids: [string, string, string] = [uniqueId('esc'), uniqueId('esc'), uniqueId('esc')];
      await client.command(RaiseEscalation, raiseData({ escalationId: ids[0], issue: 'a', runId, level: 1 }), { commandId: randomUUID() });
      await client.command(RaiseEscalation, raiseData({ escalationId: ids[1], issue: 'b', runId, level: 2 }), { commandId: randomUUID() });
      await client.command(RaiseEscalation, raiseData({ escalationId: ids[2], issue: 'c', runId, level: 2 }), { commandId: randomUUID() });
      await client.command(ResolveEscalation, { escalationId: ids[2]!, resolution: 'resolved', reason: 'done' }, { commandId: randomUUID() });
      await projected(ids[2]!, (v) => v.status === 'resolved');
      await projected(ids[0]!);
      await projected(ids[1]!);
      const list = async (filter: Omit<DataOf<typeof ListEscalations>, 'limit'>) => (await client.query(ListEscalations, { limit: 100, ...filter })).escalations.map((e) => e.escalationId).sort();
      expect(await list({ runId })).toEqual([...ids].sort());
      expect(await list({ runId, status: 'open' })).toEqual([ids[0], ids[1]].sort());
      expect(await list({ runId, level: 2 })).toEqual([ids[1], ids[2]].sort());
      expect(await list({ runId, level: 2, status: 'resolved' })).toEqual([ids[2]]);
      expect((await client.query(ListEscalations, { runId, limit: 1 })).escalations).toHaveLength(1);
    });
  });
});
