import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CancelTask,
  ClaimTask,
  CompleteTask,
  ReassignTask,
  conflictStreamId,
  GetTask,
  ListConflicts,
  ResolveConflict,
  SubmitTask,
  taskStreamId,
  type Actor,
  type ConflictView,
  type DataOf,
  type SubmitTaskData,
  type TaskView,
} from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { relayedEvent, uniqueId, waitFor } from '@baton/testing';
import type { SchedulerApp } from './scheduler.app';
import type { FakeAgentRegistry } from '../testing/agent-events';
import { readUntil, startSchedulerHarness, type SchedulerHarness } from '../testing/test-scheduler';

describe('scheduler conflicts (real NATS + Postgres, in-process)', () => {
  let harness: SchedulerHarness;
  let scheduler: SchedulerApp;
  let nc: NatsConnection;
  let client: BatonClient;
  let registry: FakeAgentRegistry;
  // Wall-clock start of this file, only to start reading JetStream from here.
  const startedAt = new Date(Date.now() - 1000);
  const ops: Actor = { kind: 'human', id: 'ops@example.test' };
  const SCHEDULER_ACTOR = { kind: 'service', id: 'scheduler' };

  beforeAll(async () => {
    harness = await startSchedulerHarness('conflicts');
    ({ scheduler, nc, client, registry } = harness);
  });

  afterAll(async () => {
    await harness?.close();
  });

  const submit = (data: Partial<SubmitTaskData> & { requirement: SubmitTaskData['requirement'] }) =>
    client.command(SubmitTask, { action: 'implement', priority: 'P1', inputs: {}, ...data }, { commandId: randomUUID() });

  const task = (taskId: string) => client.query(GetTask, { taskId });
  const taskWhere = (taskId: string, ok: (t: TaskView) => boolean, what: string) => readUntil(() => task(taskId), ok, { what: `task ${taskId} ${what}`, timeoutMs: 15_000 });

  const conflictsOf = async (taskId: string, kind?: ConflictView['kind']) =>
    (await client.query(ListConflicts, { taskId, ...(kind ? { kind } : {}), limit: 100 })).conflicts;
  const conflictWhere = (taskId: string, ok: (c: ConflictView) => boolean, what: string) =>
    waitFor(async () => (await conflictsOf(taskId)).find(ok), { what: `conflict of ${taskId}: ${what}`, timeoutMs: 15_000 });

  const resolve = (data: DataOf<typeof ResolveConflict>, commandId = randomUUID()) => client.command(ResolveConflict, data, { commandId, actor: ops });
  const conflictEvents = async (conflictId: string) => (await scheduler.store.readStream(conflictStreamId(conflictId))).map((e) => e.type);

  async function registerAgent(capabilities: string[], maxConcurrency: number): Promise<string> {
    const agentId = uniqueId('agent');
    await registry.register(agentId, { role: 'backend', capabilities, maxConcurrency });
    await waitFor(
      async () => (await scheduler.db.selectFrom('scheduler.agents').select('online').where('agent_id', '=', agentId).executeTakeFirst())?.online === true,
      { what: `agent ${agentId} known` },
    );
    return agentId;
  }

  const complete = (taskId: string, agentId: string, leaseEpoch: number) =>
    client.command(CompleteTask, { taskId, agentId, leaseEpoch, outputs: { done: true } }, { commandId: randomUUID() });

  /** Runs a dispatch pass and lets the read model settle: a held task must still be queued after it. */
  async function settle(): Promise<void> {
    scheduler.wakeDispatcher();
    await new Promise((r) => setTimeout(r, 300));
    await scheduler.projection.waitUntilCaughtUp();
  }

  it('holds a task whose files overlap an in-flight task, records the conflict (store + JetStream), assigns it after the first completes and resolves it', async () => {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 3);
    const { taskId: first } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: ['src/api/**'] } });
    await taskWhere(first, (t) => t.status === 'assigned', 'assigned');

    const { taskId: second } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: ['./src/api/users.ts', 'README.md'] } });
    const conflict = await conflictWhere(second, (c) => c.kind === 'file_overlap', 'file overlap detected');
    expect(conflict).toMatchObject({
      conflictId: `files.${second}.0`,
      taskIds: [second, first],
      agentId,
      status: 'open',
      autoResolution: 'queue',
      needsDecision: false,
      resolution: null,
      details: { overlaps: [{ taskId: first, agentId, files: [{ mine: './src/api/users.ts', theirs: 'src/api/**' }] }] },
    });
    expect(conflict.description).toContain(first);
    expect(conflict.description).toContain('./src/api/users.ts ~ src/api/**');

    // A task with other files is not held: the agent has room for it.
    const { taskId: other } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: ['docs/guide.md'] } });
    await taskWhere(other, (t) => t.status === 'assigned' && t.agentId === agentId, 'assigned beside the first');
    await settle();
    expect((await task(second)).status).toBe('queued');

    // The detection is in the store…
    const [detected] = await scheduler.store.readStream(conflictStreamId(conflict.conflictId));
    expect(detected).toMatchObject({ type: 'ConflictDetected', data: { conflictId: conflict.conflictId, kind: 'file_overlap', taskIds: [second, first] }, metadata: { actor: SCHEDULER_ACTOR } });
    // …and relayed to JetStream on baton.evt.conflict.detected (msgID = event id).
    const msg = await relayedEvent(nc, {
      subject: 'baton.evt.conflict.detected',
      since: startedAt,
      match: (m) => m.headers?.get('Nats-Msg-Id') === detected!.eventId,
      what: 'ConflictDetected on baton.evt.conflict.detected',
    });
    expect(msg.json<{ type: string; data: { conflictId: string } }>()).toMatchObject({ type: 'ConflictDetected', data: { conflictId: conflict.conflictId } });

    // The first completes: the second becomes assignable, is assigned, and the conflict resolves on its own.
    await complete(first, agentId, 1);
    const assigned = await taskWhere(second, (t) => t.status === 'assigned', 'assigned after the first completed');
    expect(assigned.agentId).toBe(agentId);
    const firstEvents = await scheduler.store.readStream(taskStreamId(first));
    const secondEvents = await scheduler.store.readStream(taskStreamId(second));
    const completedAt = (firstEvents.find((e) => e.type === 'TaskCompleted')!.data as { completedAt: string }).completedAt;
    const assignedAt = (secondEvents.find((e) => e.type === 'TaskAssigned')!.data as { assignedAt: string }).assignedAt;
    expect(Date.parse(assignedAt)).toBeGreaterThanOrEqual(Date.parse(completedAt));
    const resolved = await conflictWhere(second, (c) => c.conflictId === conflict.conflictId && c.status === 'resolved', 'resolved');
    expect(resolved).toMatchObject({ resolution: 'queue', resolvedBy: SCHEDULER_ACTOR, reassignTo: null });
    expect(await conflictEvents(conflict.conflictId)).toEqual(['ConflictDetected', 'ConflictResolved']);
  });

  it('of two waiting tasks with overlapping files planned in one pass, assigns only the first', async () => {
    const cap = uniqueId('cap');
    const { taskId: first } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: ['pkg/**'] } });
    const { taskId: second } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: ['pkg/index.ts'] } });
    await taskWhere(second, (t) => t.status === 'queued', 'queued');
    // One agent with room for both: the same pass plans both, and only the first may go.
    const agentId = await registerAgent([cap], 2);
    await taskWhere(first, (t) => t.status === 'assigned' && t.agentId === agentId, 'assigned');
    const overlap = await conflictWhere(second, (c) => c.kind === 'file_overlap', 'file overlap detected');
    expect(overlap.taskIds).toEqual([second, first]);
    await settle();
    expect((await task(second)).status).toBe('queued');
    expect((await scheduler.store.readStream(taskStreamId(second))).map((e) => e.type)).toEqual(['TaskCreated']);
  });

  it('never assigns a task before its dependency completes, then resolves the dependency clash', async () => {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 3);
    const { taskId: dependency } = await submit({ requirement: { capabilities: [cap] } });
    await taskWhere(dependency, (t) => t.status === 'assigned', 'assigned');
    const { taskId: dependent } = await submit({ requirement: { capabilities: [cap] }, priority: 'P0', inputs: { dependsOn: [dependency] } });

    const clash = await conflictWhere(dependent, (c) => c.kind === 'dependency_clash', 'dependency clash detected');
    expect(clash).toMatchObject({
      conflictId: `dep.${dependent}.0`,
      taskIds: [dependent, dependency],
      status: 'open',
      autoResolution: 'queue',
      details: { waitingOn: [dependency], statuses: { [dependency]: 'assigned' } },
    });
    await settle();
    expect((await task(dependent)).status).toBe('queued');
    // Pulling it does not get round the hold: by id it is a CONFLICT, and a claim of "anything" skips it.
    const other = await registerAgent([cap], 3);
    await expect(client.command(ClaimTask, { agentId: other, taskId: dependent }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('held back by a conflict') });
    await expect(client.command(ClaimTask, { agentId: other }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await task(dependent)).status).toBe('queued');

    await complete(dependency, agentId, 1);
    await taskWhere(dependent, (t) => t.status === 'assigned' && (t.agentId === agentId || t.agentId === other), 'assigned after its dependency completed');
    await conflictWhere(dependent, (c) => c.conflictId === clash.conflictId && c.status === 'resolved' && c.resolution === 'queue', 'resolved by the scheduler');
    const dependentEvents = await scheduler.store.readStream(taskStreamId(dependent));
    expect(dependentEvents.map((e) => e.type)).toEqual(['TaskCreated', 'TaskAssigned']);
  });

  it('a dependency that is cancelled leaves the clash open for a decision; reassign hands the held task to the chosen agent', async () => {
    const cap = uniqueId('cap');
    const slow = uniqueId('slow');
    const worker = await registerAgent([cap], 2);
    // Nobody can take the dependency (no agent has `slow`), so it stays queued until it is cancelled.
    const { taskId: dependency } = await submit({ requirement: { capabilities: [slow] } });
    const { taskId: held } = await submit({ requirement: { capabilities: [cap] }, inputs: { dependsOn: [dependency] } });
    const clash = await conflictWhere(held, (c) => c.kind === 'dependency_clash', 'dependency clash detected');
    expect(clash).toMatchObject({ autoResolution: 'queue', needsDecision: false });

    await client.command(CancelTask, { taskId: dependency, reason: 'not needed' }, { commandId: randomUUID() });
    const open = await conflictWhere(held, (c) => c.conflictId === clash.conflictId && c.needsDecision, 'needs a decision');
    expect(open.status).toBe('open');
    expect(await conflictEvents(clash.conflictId)).toEqual(['ConflictDetected', 'ConflictNeedsDecision']);
    await settle();
    expect((await task(held)).status).toBe('queued');

    const view = await resolve({ conflictId: clash.conflictId, resolution: 'reassign', reassignTo: worker, reason: 'the dependency is not needed any more' });
    expect(view).toMatchObject({ conflictId: clash.conflictId, status: 'resolved', resolution: 'reassign', reassignTo: worker, resolvedBy: ops, reason: 'the dependency is not needed any more' });
    await taskWhere(held, (t) => t.status === 'assigned' && t.agentId === worker, `assigned to ${worker}`);
    // One resolution: the conflict manager does not settle it again when the task is assigned.
    await scheduler.projection.waitUntilCaughtUp();
    await new Promise((r) => setTimeout(r, 300));
    expect(await conflictEvents(clash.conflictId)).toEqual(['ConflictDetected', 'ConflictNeedsDecision', 'ConflictResolved']);
    // The resolution was relayed with the human as the actor.
    const [, , resolvedEvent] = await scheduler.store.readStream(conflictStreamId(clash.conflictId));
    expect(resolvedEvent?.metadata.actor).toEqual(ops);
  });

  it('holds the second task of the same work item; queue keeps holding it until the first ends', async () => {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 3);
    const workItem = uniqueId('WI');
    const { taskId: first } = await submit({ requirement: { capabilities: [cap] }, inputs: { workItemId: workItem } });
    await taskWhere(first, (t) => t.status === 'assigned', 'assigned');
    const { taskId: second } = await submit({ requirement: { capabilities: [cap] }, inputs: { work_item_id: workItem, note: 'submitted again' } });

    const dup = await conflictWhere(second, (c) => c.kind === 'duplicate_task', 'duplicate work item detected');
    expect(dup).toMatchObject({ conflictId: `wi.${second}.0`, taskIds: [second, first], autoResolution: 'queue', details: { workItemId: workItem } });
    await settle();
    expect((await task(second)).status).toBe('queued');

    // A human agrees: keep it queued. The conflict is resolved, the task is still held.
    const queued = await resolve({ conflictId: dup.conflictId, resolution: 'queue', reason: 'let the first finish' });
    expect(queued).toMatchObject({ status: 'resolved', resolution: 'queue', resolvedBy: ops, reassignTo: null });
    await settle();
    expect((await task(second)).status).toBe('queued');

    await complete(first, agentId, 1);
    await taskWhere(second, (t) => t.status === 'assigned', 'assigned once the first completed');
    expect(await conflictEvents(dup.conflictId)).toEqual(['ConflictDetected', 'ConflictResolved']);
  });

  it('reassign-task hands a held task to the chosen agent as the deciding person; bad targets change nothing', async () => {
    const cap = uniqueId('cap');
    const first = await registerAgent([cap], 1);
    const { taskId } = await submit({ requirement: { agentId: first, capabilities: [] } });
    await taskWhere(taskId, (t) => t.status === 'assigned' && t.agentId === first, 'assigned to its agent');
    const second = await registerAgent(['other'], 1);
    const reassign = (toAgentId: string) => client.command(ReassignTask, { taskId, toAgentId, reason: 'the first agent is stuck' }, { commandId: randomUUID(), actor: ops });

    const before = (await scheduler.store.readStream(taskStreamId(taskId))).length;
    await expect(reassign(uniqueId('ghost'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await scheduler.store.readStream(taskStreamId(taskId))).length).toBe(before);

    const reply = await reassign(second);
    expect(reply).toMatchObject({ taskId, status: 'assigned', leaseEpoch: 2 });
    const events = await scheduler.store.readStream(taskStreamId(taskId));
    expect(events.slice(-2).map((e) => [e.type, e.metadata.actor])).toEqual([
      ['TaskReleased', ops],
      ['TaskAssigned', ops],
    ]);
    expect(events.at(-1)?.data).toMatchObject({ agentId: second, leaseEpoch: 2, previousAgentId: first });
    // The old holder's lease is stale now; the new one completes it, and a finished task cannot be reassigned.
    await expect(complete(taskId, first, 1)).rejects.toMatchObject({ code: 'STALE_LEASE' });
    await complete(taskId, second, 2);
    await expect(reassign(first)).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('resolve-conflict reassign gives a held task to the chosen agent at once (override)', async () => {
    const cap = uniqueId('cap');
    const first = await registerAgent([cap], 1);
    const { taskId: a } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: ['lib/core.ts'] } });
    await taskWhere(a, (t) => t.status === 'assigned' && t.agentId === first, 'assigned');
    const second = await registerAgent([cap], 1);
    const { taskId: b } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: ['lib/core.ts'] } });
    const overlap = await conflictWhere(b, (c) => c.kind === 'file_overlap', 'file overlap');
    await settle();
    expect((await task(b)).status).toBe('queued');

    await resolve({ conflictId: overlap.conflictId, resolution: 'reassign', reassignTo: second, reason: 'different functions of the file' });
    const moved = await taskWhere(b, (t) => t.status === 'assigned', 'assigned by the override');
    expect(moved).toMatchObject({ agentId: second, leaseEpoch: 1 });
    expect((await task(a)).status).toBe('assigned');
  });

  it('an agent that goes offline: its task is released, an idle time-out conflict is recorded and resolved when another agent gets the task', async () => {
    const cap = uniqueId('cap');
    const gone = await registerAgent([cap], 1);
    const { taskId } = await submit({ requirement: { capabilities: [cap] } });
    await taskWhere(taskId, (t) => t.status === 'assigned' && t.agentId === gone, 'assigned');

    await registry.wentOffline(gone);
    const idle = await conflictWhere(taskId, (c) => c.kind === 'agent_idle_timeout', 'idle time-out detected');
    expect(idle).toMatchObject({ conflictId: `idle.${taskId}.1`, taskIds: [taskId], agentId: gone, autoResolution: 'reassign', status: 'open' });

    const next = await registerAgent([cap], 1);
    await taskWhere(taskId, (t) => t.status === 'assigned' && t.agentId === next, 'reassigned');
    const resolved = await conflictWhere(taskId, (c) => c.conflictId === idle.conflictId && c.status === 'resolved', 'resolved');
    expect(resolved).toMatchObject({ resolution: 'reassign', reassignTo: next, resolvedBy: SCHEDULER_ACTOR });
  });

  it('duplicate task id: identical resubmits are idempotent, other content is a CONFLICT and a recorded conflict; escalate, then the error codes', async () => {
    const cap = uniqueId('cap');
    const taskId = uniqueId('dup');
    const body = { taskId, action: 'implement', requirement: { capabilities: [cap, 'ts'] }, priority: 'P2' as const, inputs: { spec: { b: 1, a: 2 } } };
    expect(await client.command(SubmitTask, body, { commandId: randomUUID() })).toEqual({ taskId });
    // The same content again (another command id, other key and capability order): the same task, no conflict.
    expect(await client.command(SubmitTask, { ...body, requirement: { capabilities: ['ts', cap] }, inputs: { spec: { a: 2, b: 1 } } }, { commandId: randomUUID() })).toEqual({
      taskId,
    });
    expect((await scheduler.store.readStream(taskStreamId(taskId))).map((e) => e.type)).toEqual(['TaskCreated']);

    const refused = await client.command(SubmitTask, { ...body, inputs: { spec: { a: 3 } } }, { commandId: randomUUID(), actor: ops }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CONFLICT', details: { taskId, conflictId: expect.stringMatching(new RegExp(`^dup\\.${taskId}\\.`)) } });
    const conflictId = (refused as { details: { conflictId: string } }).details.conflictId;
    const dup = await conflictWhere(taskId, (c) => c.conflictId === conflictId, 'duplicate recorded');
    expect(dup).toMatchObject({ kind: 'duplicate_task', taskIds: [taskId], autoResolution: null, needsDecision: true, status: 'open', details: { differs: ['inputs'], inputKeys: ['spec'], submittedBy: ops } });
    // The same refused content again records nothing new.
    await expect(client.command(SubmitTask, { ...body, inputs: { spec: { a: 3 } } }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await conflictEvents(conflictId)).toEqual(['ConflictDetected']);
    expect((await scheduler.store.readStream(taskStreamId(taskId))).map((e) => e.type)).toEqual(['TaskCreated']);

    // Bad resolutions are refused with a code and append nothing.
    await expect(resolve({ conflictId, resolution: 'reassign', reason: 'who?' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(resolve({ conflictId, resolution: 'queue', reassignTo: 'agent-x', reason: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(resolve({ conflictId, resolution: 'reassign', reassignTo: uniqueId('nobody'), reason: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(resolve({ conflictId: uniqueId('no-such-conflict'), resolution: 'queue', reason: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.command(ResolveConflict, { conflictId, resolution: 'queue', reason: '' } as never, { commandId: randomUUID() })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await conflictEvents(conflictId)).toEqual(['ConflictDetected']);

    const commandId = randomUUID();
    const escalated = await resolve({ conflictId, resolution: 'escalate', reason: 'a human must pick the right spec' }, commandId);
    expect(escalated).toMatchObject({ status: 'resolved', resolution: 'escalate', resolvedBy: ops, reason: 'a human must pick the right spec' });
    // A retried command answers the same; another decision on a resolved conflict is an illegal transition.
    expect(await resolve({ conflictId, resolution: 'escalate', reason: 'a human must pick the right spec' }, commandId)).toMatchObject({ status: 'resolved', resolution: 'escalate' });
    await expect(resolve({ conflictId, resolution: 'queue', reason: 'too late' })).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect(await conflictEvents(conflictId)).toEqual(['ConflictDetected', 'ConflictResolved']);
    await relayedEvent(nc, {
      subject: 'baton.evt.conflict.resolved',
      since: startedAt,
      match: (m) => {
        const body = m.json<{ data: { conflictId: string; resolution: string } }>();
        return body.data.conflictId === conflictId && body.data.resolution === 'escalate';
      },
      what: 'ConflictResolved (escalate) on baton.evt.conflict.resolved',
    });
  });

  it('refuses bad conflict declarations on submit with VALIDATION_FAILED and creates nothing', async () => {
    const taskId = uniqueId('bad');
    const err = await submit({ taskId, requirement: { capabilities: [] }, inputs: { files: 'src/a.ts', dependsOn: [taskId] } }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: {
        issues: [
          { path: 'inputs.files', message: 'must be an array of paths or globs' },
          { path: 'inputs.dependsOn.0', message: `task ${taskId} cannot depend on itself` },
        ],
      },
    });
    expect(await scheduler.store.readStream(taskStreamId(taskId))).toEqual([]);
    await expect(task(taskId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('list-conflicts filters by status, kind, task and run, newest first, within the limit', async () => {
    const runId = uniqueId('run');
    const cap = uniqueId('cap');
    // Two held tasks of one run, waiting on a task nobody can take. An agent could take them but for
    // that dependency: the dispatcher checks conflicts on the tasks some available agent can take.
    await registerAgent([cap], 2);
    const { taskId: blocker } = await submit({ requirement: { capabilities: [uniqueId('nobody')] } });
    const { taskId: t1 } = await submit({ requirement: { capabilities: [cap] }, runId, stageId: 's1', inputs: { dependsOn: [blocker] } });
    await conflictWhere(t1, (c) => c.kind === 'dependency_clash', 'first clash');
    const { taskId: t2 } = await submit({ requirement: { capabilities: [cap] }, runId, stageId: 's2', inputs: { dependsOn: [blocker] } });
    await conflictWhere(t2, (c) => c.kind === 'dependency_clash', 'second clash');
    await scheduler.projection.waitUntilCaughtUp();

    const ofRun = await client.query(ListConflicts, { runId, limit: 10 });
    expect(ofRun.conflicts.map((c) => c.taskIds[0])).toEqual([t2, t1]);
    expect(ofRun.conflicts.every((c) => c.runId === runId)).toBe(true);
    expect((await client.query(ListConflicts, { runId, limit: 1 })).conflicts.map((c) => c.taskIds[0])).toEqual([t2]);
    expect((await client.query(ListConflicts, { runId, status: 'resolved', limit: 10 })).conflicts).toEqual([]);
    expect((await client.query(ListConflicts, { runId, kind: 'file_overlap', limit: 10 })).conflicts).toEqual([]);
    expect((await client.query(ListConflicts, { taskId: blocker, limit: 10 })).conflicts.map((c) => c.taskIds[0]).sort()).toEqual([t1, t2].sort());
    const open = await client.query(ListConflicts, { status: 'open', limit: 1000 });
    expect(open.conflicts.some((c) => c.taskIds[0] === t1)).toBe(true);
    expect(open.conflicts.every((c) => c.status === 'open')).toBe(true);
    await expect(client.query(ListConflicts, { limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
