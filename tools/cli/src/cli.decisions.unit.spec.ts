import { BatonError } from '@baton/contracts';
import { runCli } from './cli';
import { humanActor } from './commands/approvals';
import { expectRefusal, expectUsageError, failingStderr, fakeClient, fakeDeps, humanCommandCall, refusing } from './testing/fake-client';
import { conflictView, escalationView, human, replayView } from './testing/views';

describe('baton replay', () => {
  it('asks the scheduler to replay up to a position, and prints the state then as a stage table', async () => {
    const client = fakeClient({ 'replay-run': () => replayView() });
    const deps = fakeDeps(client);
    expect(await runCli(['replay', 'run-1', '--at', '812/44'], deps)).toBe(0);
    expect(client.calls).toEqual([{ kind: 'query', name: 'replay-run', data: { runId: 'run-1', at: '812/44' } }]);
    const out = deps.io.out.join('\n');
    expect(out.split('\n').slice(0, 2)).toEqual(['Run run-1 of WF-FEAT-001 v1.0.0: running', 'as of event 5 (StageApprovalRequested) at 812/44, 6 events applied']);
    expect(out).toMatch(/STAGE\s+│ STATUS\s+│ ITERATION │ RUNS │ OUTCOME │ REJECTIONS │ AWAITING\s+│ TASKS/);
    expect(out).toMatch(/│ requirements │ completed\s+│ 1\s+│ 1\s+│\s+│\s+│\s+│ t-1 succeeded \(MCT-PM-001\) │/);
    expect(out).toMatch(/│ review\s+│ awaiting_approval │ 1\s+│ 0\s+│\s+│ 1\s+│ human approval │\s+│/);
  });

  it('replays up to a stream revision (0 included), and prints the reply as one JSON document with --json', async () => {
    const client = fakeClient({ 'replay-run': () => replayView({ revision: 0, eventsApplied: 1, lastEventType: 'RunStarted', stages: [] }) });
    const deps = fakeDeps(client);
    expect(await runCli(['--json', 'replay', 'run-1', '--revision', '0'], deps)).toBe(0);
    expect(client.calls[0]?.data).toEqual({ runId: 'run-1', revision: 0 });
    expect(deps.io.out).toHaveLength(1);
    expect(JSON.parse(deps.io.out[0]!)).toEqual(replayView({ revision: 0, eventsApplied: 1, lastEventType: 'RunStarted', stages: [] }));
    const human = fakeDeps(client);
    expect(await runCli(['replay', 'run-1'], human)).toBe(0);
    expect(human.io.out.join('\n')).toContain('as of event 0 (RunStarted) at 812/44, 1 event applied\nNo stages yet.');
  });

  it('rejects a bad --at, a bad --revision, and both together, before connecting', async () => {
    const deps = fakeDeps(fakeClient({}));
    expect(await failingStderr(['replay', 'run-1', '--at', '812'], deps)).toContain("option '--at <position>' argument '812' is invalid. expected a position \"<commit>/<prepare>\"");
    expect(await failingStderr(['replay', 'run-1', '--revision', '-1'], deps)).toContain("argument '-1' is invalid. expected a whole number of at least 0");
    expect(await failingStderr(['replay', 'run-1', '--at', '1/2', '--revision', '3'], deps)).toContain("option '--at <position>' cannot be used with option '--revision <n>'");
    expect(deps.connectedTo).toEqual([]);
  });

  it('prints NOT_FOUND from the scheduler with exit 1', async () => {
    await expectRefusal(['replay', 'nope'], 'replay-run', 'NOT_FOUND', 'run nope was not found');
  });
});

describe('baton approve / reject', () => {
  const decided = (d: unknown) => ({ runId: (d as { runId: string }).runId, status: 'running' });

  it('approves as the person named by --as, correlated to the run, and says where the run is', async () => {
    const client = fakeClient({ 'approve-stage': decided });
    const deps = fakeDeps(client, { env: { USER: 'root', BATON_USER: 'bob' } });
    expect(await runCli(['approve', 'run-1', 'review', '--reason', 'risk accepted by product', '--as', 'alice'], deps)).toBe(0);
    expect(client.calls).toEqual([humanCommandCall('approve-stage', { runId: 'run-1', stageId: 'review', reason: 'risk accepted by product' }, 'alice', 'run-1')]);
    expect(deps.io.out).toEqual(['approved stage review of run run-1 (run is running)']);
  });

  it('rejects as $BATON_USER, else $USER, else "human"', async () => {
    const client = fakeClient({ 'reject-stage': decided });
    expect(await runCli(['reject', 'run-1', 'review', '--reason', 'no rollback plan'], fakeDeps(client, { env: { BATON_USER: 'bob', USER: 'root' } }))).toBe(0);
    expect(await runCli(['reject', 'run-1', 'review', '--reason', 'no rollback plan'], fakeDeps(client, { env: { BATON_USER: ' ', USER: 'root' } }))).toBe(0);
    const last = fakeDeps(client, { env: {} });
    expect(await runCli(['reject', 'run-1', 'review', '--reason', 'no rollback plan'], last)).toBe(0);
    expect(client.calls.map((c) => c.actor)).toEqual(['bob', 'root', 'human'].map(human));
    expect(client.calls[0]?.data).toEqual({ runId: 'run-1', stageId: 'review', reason: 'no rollback plan' });
    expect(last.io.out).toEqual(['rejected stage review of run run-1 (run is running)']);
    expect(humanActor({ USER: 'u' }, undefined)).toEqual(human('u'));
  });

  it('prints the reply as JSON with --json', async () => {
    const deps = fakeDeps(fakeClient({ 'approve-stage': () => ({ runId: 'run-1', status: 'success' }) }));
    expect(await runCli(['approve', 'run-1', 'review', '--reason', 'ok', '--json'], deps)).toBe(0);
    expect(deps.io.out.map((l) => JSON.parse(l) as unknown)).toEqual([{ runId: 'run-1', status: 'success' }]);
  });

  it('prints the scheduler’s refusal (FORBIDDEN, ILLEGAL_TRANSITION) with exit 1', async () => {
    await expectRefusal(['approve', 'run-1', 'review', '--reason', 'ok', '--as', 'alice'], 'approve-stage', 'FORBIDDEN', 'human:alice started run run-1 and cannot approve it');
  });
});

describe('baton escalations', () => {
  it('lists escalations with the filters, as a table of level, assignee, trigger, where, issue and age', async () => {
    const client = fakeClient({ 'list-escalations': () => ({ escalations: [escalationView(), escalationView({ escalationId: 'esc-2', level: 1, assignee: { kind: 'agent', id: 'MCT-BE-002' }, trigger: 'blocked_task', runId: null, stageId: null })] }) });
    const deps = fakeDeps(client);
    expect(await runCli(['escalations', 'list', '--status', 'open', '--run', 'run-1', '--level', 'L3'], deps)).toBe(0);
    expect(client.calls).toEqual([{ kind: 'query', name: 'list-escalations', data: { status: 'open', runId: 'run-1', level: 3, limit: 100 } }]);
    const out = deps.io.out.join('\n');
    expect(out).toMatch(/ID\s+│ LEVEL │ ASSIGNEE\s+│ TRIGGER\s+│ STATUS │ RUN\/STAGE\/TASK │ ISSUE\s+│ AGE/);
    expect(out).toMatch(/│ esc-1 │ L3\s+│ human:oncall\s+│ repeated_rejections │ open\s+│ run-1\/review\/- │ Review of stage implementation rejected 3 times: missing mi… │ 5m ago │/);
    expect(out).toMatch(/│ esc-2 │ L1\s+│ agent:MCT-BE-002 │ blocked_task\s+│ open\s+│\s+│/);
  });

  it('lists as JSON, says when nothing matches, and rejects a bad level', async () => {
    const client = fakeClient({ 'list-escalations': () => ({ escalations: [] }) });
    const json = fakeDeps(client);
    expect(await runCli(['escalations', 'list', '--json', '--level', '0'], json)).toBe(0);
    expect(JSON.parse(json.io.out[0]!)).toEqual({ escalations: [] });
    expect(client.calls[0]?.data).toEqual({ level: 0, limit: 100 });
    const human = fakeDeps(client);
    expect(await runCli(['escalations', 'list'], human)).toBe(0);
    expect(human.io.out).toEqual(['No escalations match.']);
    const bad = fakeDeps(client);
    expect(await failingStderr(['escalations', 'list', '--level', '4'], bad)).toContain('expected a level from 0 to 3 (or L0 to L3)');
    expect(await failingStderr(['escalations', 'list', '--status', 'closed'], bad)).toContain('expected one of open, resolved');
  });

  it('shows one escalation in the escalation format: issue, workflow stage, options with trade-offs, recommendation, blocking', async () => {
    const client = fakeClient({ 'get-escalation': () => escalationView() });
    const deps = fakeDeps(client);
    expect(await runCli(['escalations', 'show', 'esc-1'], deps)).toBe(0);
    expect(client.calls).toEqual([{ kind: 'query', name: 'get-escalation', data: { escalationId: 'esc-1' } }]);
    const lines = deps.io.out.join('\n').split('\n');
    expect(lines.slice(0, 10)).toEqual([
      'ESCALATION esc-1 (L3, open)',
      'Issue:          Review of stage implementation rejected 3 times: missing migration rollback',
      'Workflow Stage: WF-FEAT-001 / review',
      'Options:',
      '  1. Grant an exception and ship',
      '     trade-off: faster, but the rollback gap stays open',
      '  2. Send the work back once more',
      '     trade-off: one more iteration (about a day)',
      'Recommendation: Send the work back once more',
      'Blocking:       stage review of run run-1; deploy cannot start',
    ]);
    const details = lines.slice(10).join('\n');
    for (const row of [/│ Level\s+│ L3 \(human\)/, /│ Assignee\s+│ human:oncall/, /│ Run\s+│ run-1/, /│ Raised\s+│ 2026-11-22 09:55:00 \(5m ago\)/, /│ Resolution\s+│ -/]) expect(details).toMatch(row);
  });

  it('shows the logged resolution of a resolved escalation, and JSON with --json', async () => {
    const resolved = escalationView({
      status: 'resolved',
      resolution: 'exception_granted',
      resolvedBy: human('alice'),
      resolutionReason: 'ship it; rollback follows in 1.1',
      resolvedAt: '2026-11-22T09:59:00.000Z',
      options: [],
      recommendation: null,
    });
    const deps = fakeDeps(fakeClient({ 'get-escalation': () => resolved }));
    expect(await runCli(['escalations', 'show', 'esc-1'], deps)).toBe(0);
    const out = deps.io.out.join('\n');
    expect(out).toContain('Options:        -');
    expect(out).toContain('Recommendation: -');
    expect(out).toMatch(/│ Resolution\s+│ exception_granted by human:alice at 2026-11-22 09:59:00: ship it; rollback follows in 1\.1/);
    const json = fakeDeps(fakeClient({ 'get-escalation': () => resolved }));
    expect(await runCli(['escalations', 'show', 'esc-1', '--json'], json)).toBe(0);
    expect(JSON.parse(json.io.out[0]!)).toEqual(resolved);
  });

  it('resolves with the resolution, reason and reassignee, as the person (actor) deciding', async () => {
    const client = fakeClient({
      'resolve-escalation': (d) => {
        const data = d as { resolution: 'reassigned'; reason: string };
        return escalationView({ status: 'resolved', resolution: data.resolution, resolvedBy: human('alice'), resolutionReason: data.reason, resolvedAt: '2026-11-22T10:00:00.000Z' });
      },
    });
    const deps = fakeDeps(client, { env: { BATON_USER: 'alice' } });
    expect(await runCli(['escalations', 'resolve', 'esc-1', '--resolution', 'reassigned', '--reason', 'BE-003 knows the API', '--reassign-to', 'MCT-BE-003'], deps)).toBe(0);
    expect(client.calls).toEqual([humanCommandCall('resolve-escalation', { escalationId: 'esc-1', resolution: 'reassigned', reason: 'BE-003 knows the API', reassignTo: 'MCT-BE-003' }, 'alice')]);
    expect(deps.io.out).toEqual(['escalation esc-1 (L3) is resolved: reassigned by human:alice']);
  });

  it('prints ILLEGAL_TRANSITION for an escalation already resolved, exit 1', async () => {
    await expectRefusal(['escalations', 'resolve', 'esc-1', '--resolution', 'resolved', '--reason', 'x'], 'resolve-escalation', 'ILLEGAL_TRANSITION', 'escalation esc-1 is already resolved');
  });
});

describe('baton conflicts', () => {
  const resolvedBy = (d: unknown, actor = human('alice')) => {
    const data = d as { conflictId: string; resolution: 'reassign' | 'queue' | 'escalate'; reason: string; reassignTo?: string };
    return conflictView({
      conflictId: data.conflictId,
      status: 'resolved',
      needsDecision: false,
      resolution: data.resolution,
      resolvedBy: actor,
      reason: data.reason,
      reassignTo: data.reassignTo ?? null,
      resolvedAt: '2026-11-22T10:00:00.000Z',
    });
  };

  it('lists conflicts with every filter, as a table of kind, status, what is done about them, tasks, run, age and description', async () => {
    const client = fakeClient({
      'list-conflicts': () => ({
        conflicts: [
          conflictView(),
          conflictView({
            conflictId: 'files.t-5.1',
            kind: 'file_overlap',
            taskIds: ['t-5', 't-3', 't-4', 't-6'],
            needsDecision: false,
            description: 'task t-5 modifies files that in-flight tasks modify, so it is held until they end: src/api.ts',
            detectedAt: '2026-11-22T09:59:30.000Z',
          }),
          conflictView({ conflictId: 'idle.t-7.2', kind: 'agent_idle_timeout', taskIds: ['t-7'], runId: null, autoResolution: null, needsDecision: false, description: 'agent MCT-BE-004 stopped answering' }),
          conflictView({ conflictId: 'dup.t-8.ab12', kind: 'duplicate_task', taskIds: ['t-8'], status: 'resolved', resolution: 'reassign', reassignTo: 'MCT-BE-002', needsDecision: false, description: 'task t-8 was submitted again' }),
        ],
      }),
    });
    const deps = fakeDeps(client);
    expect(await runCli(['conflicts', 'list', '--status', 'open', '--run', 'run-1', '--kind', 'dependency_clash', '--task', 't-2', '--limit', '5000'], deps)).toBe(0);
    expect(client.calls).toEqual([{ kind: 'query', name: 'list-conflicts', data: { status: 'open', runId: 'run-1', kind: 'dependency_clash', taskId: 't-2', limit: 1000 } }]);
    const out = deps.io.out.join('\n');
    expect(out).toMatch(/ID\s+│ KIND\s+│ STATUS\s+│ RESOLUTION\s+│ TASKS\s+│ RUN\s+│ DETECTED │ DESCRIPTION/);
    expect(out).toMatch(/│ dep\.t-2\.0\s+│ dependency_clash\s+│ open\s+│ needs decision\s+│ t-2, t-1\s+│ run-1 │ 3m ago\s+│ dependency t-1 failed, so task t-2 cannot start on its own:… │/);
    expect(out).toMatch(/│ files\.t-5\.1\s+│ file_overlap\s+│ open\s+│ auto: queue\s+│ t-5, t-3, t-4 \+1 more │ run-1 │ 30s ago\s+│ task t-5 modifies files that in-flight tasks modify, so it … │/);
    expect(out).toMatch(/│ idle\.t-7\.2\s+│ agent_idle_timeout │ open\s+│ needs decision\s+│ t-7\s+│\s+│ 3m ago\s+│ agent MCT-BE-004 stopped answering\s+│/);
    expect(out).toMatch(/│ dup\.t-8\.ab12 │ duplicate_task\s+│ resolved │ reassign → MCT-BE-002 │ t-8\s+│ run-1 │/);
    expect(deps.io.err).toEqual([]);
  });

  it('lists as one JSON document with --json, says when nothing matches, and rejects a bad status or kind before connecting', async () => {
    const client = fakeClient({ 'list-conflicts': () => ({ conflicts: [conflictView()] }) });
    const json = fakeDeps(client);
    expect(await runCli(['--json', 'conflicts', 'list'], json)).toBe(0);
    expect(client.calls[0]?.data).toEqual({ limit: 100 });
    expect(json.io.out).toHaveLength(1);
    expect(JSON.parse(json.io.out[0]!)).toEqual({ conflicts: [conflictView()] });
    const human = fakeDeps(fakeClient({ 'list-conflicts': () => ({ conflicts: [] }) }));
    expect(await runCli(['conflicts', 'list'], human)).toBe(0);
    expect(human.io.out).toEqual(['No conflicts match.']);
    const bad = fakeDeps(client);
    expect(await failingStderr(['conflicts', 'list', '--status', 'closed'], bad)).toContain("option '--status <status>' argument 'closed' is invalid. expected one of open, resolved");
    expect(await failingStderr(['conflicts', 'list', '--kind', 'merge'], bad)).toContain('expected one of duplicate_task, dependency_clash, file_overlap, agent_idle_timeout');
    expect(await runCli(['conflicts', 'list', '--limit', '0'], bad)).toBe(1);
    expect(bad.connectedTo).toEqual([]);
  });

  it('resolves with reassign to the agent named by --reassign-to, as the person named by --as', async () => {
    const client = fakeClient({ 'resolve-conflict': (d) => resolvedBy(d) });
    const deps = fakeDeps(client, { env: { BATON_USER: 'bob', USER: 'root' } });
    expect(await runCli(['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'reassign', '--reassign-to', 'MCT-BE-002', '--reason', 'BE-002 has the context', '--as', 'alice'], deps)).toBe(0);
    expect(client.calls).toEqual([humanCommandCall('resolve-conflict', { conflictId: 'dep.t-2.0', resolution: 'reassign', reason: 'BE-002 has the context', reassignTo: 'MCT-BE-002' }, 'alice')]);
    expect(deps.io.out).toEqual(['conflict dep.t-2.0 (dependency_clash) resolved: reassign to MCT-BE-002 by human:alice']);
  });

  it('resolves with queue or escalate (no --reassign-to) as $BATON_USER, else $USER, else "human"; --json prints the reply', async () => {
    const client = fakeClient({ 'resolve-conflict': (d) => resolvedBy(d, human('bob')) });
    const queued = fakeDeps(client, { env: { BATON_USER: 'bob', USER: 'root' } });
    expect(await runCli(['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'queue', '--reason', 'wait for t-1 to be retried'], queued)).toBe(0);
    expect(queued.io.out).toEqual(['conflict dep.t-2.0 (dependency_clash) resolved: queue by human:bob']);
    expect(await runCli(['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'escalate', '--reason', 'needs product'], fakeDeps(client, { env: { USER: 'root' } }))).toBe(0);
    const json = fakeDeps(client, { env: {} });
    expect(await runCli(['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'escalate', '--reason', 'needs product', '--json'], json)).toBe(0);
    expect(client.calls.map((c) => c.actor)).toEqual(['bob', 'root', 'human'].map(human));
    expect(client.calls.map((c) => c.data)).toEqual([
      { conflictId: 'dep.t-2.0', resolution: 'queue', reason: 'wait for t-1 to be retried' },
      { conflictId: 'dep.t-2.0', resolution: 'escalate', reason: 'needs product' },
      { conflictId: 'dep.t-2.0', resolution: 'escalate', reason: 'needs product' },
    ]);
    expect(json.io.out).toHaveLength(1);
    expect(JSON.parse(json.io.out[0]!)).toEqual(resolvedBy({ conflictId: 'dep.t-2.0', resolution: 'escalate', reason: 'needs product' }, human('bob')));
  });

  it('prints the scheduler’s refusal (ILLEGAL_TRANSITION, NOT_FOUND) with exit 1, and exit 2 when no scheduler answers', async () => {
    const refused = fakeDeps(
      fakeClient({
        'resolve-conflict': refusing('ILLEGAL_TRANSITION', 'conflict dep.t-2.0 is already resolved'),
        'list-conflicts': refusing('NOT_FOUND', 'nothing here'),
      }),
    );
    expect(await runCli(['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'queue', '--reason', 'x'], refused)).toBe(1);
    expect(refused.io.err).toEqual(['baton: ILLEGAL_TRANSITION: conflict dep.t-2.0 is already resolved']);
    expect(await runCli(['conflicts', 'list'], refused)).toBe(1);
    expect(refused.io.err.at(-1)).toBe('baton: NOT_FOUND: nothing here');
    const down = fakeDeps(fakeClient({ 'list-conflicts': refusing('UNAVAILABLE', 'no service is answering', { subject: 'baton.qry.scheduler.list-conflicts' }) }));
    expect(await runCli(['conflicts', 'list'], down)).toBe(2);
    expect(down.io.err).toEqual(['baton: cannot reach the scheduler at nats://127.0.0.1:4222 (no responders). Is Baton running? Start it with: npm start']);
  });
});

describe('baton tasks reassign', () => {
  const reassigned = (d: unknown) => ({ taskId: (d as { taskId: string }).taskId, status: 'assigned', leaseEpoch: 2, revision: 7 });

  it('reassigns a task to --to with the reason, as the person named by --as, and says where the task is', async () => {
    const client = fakeClient({ 'reassign-task': reassigned });
    const deps = fakeDeps(client, { env: { BATON_USER: 'bob' } });
    expect(await runCli(['tasks', 'reassign', 't-1', '--to', 'MCT-BE-002', '--reason', 'BE-001 is overloaded', '--as', 'alice'], deps)).toBe(0);
    expect(client.calls).toEqual([humanCommandCall('reassign-task', { taskId: 't-1', toAgentId: 'MCT-BE-002', reason: 'BE-001 is overloaded' }, 'alice')]);
    expect(deps.io.out).toEqual(['task t-1 reassigned to MCT-BE-002 (assigned, lease epoch 2)']);
  });

  it('takes the actor from $BATON_USER, else $USER, else "human"; --json prints the reply', async () => {
    const client = fakeClient({ 'reassign-task': reassigned });
    const args = ['tasks', 'reassign', 't-1', '--to', 'MCT-BE-002', '--reason', 'x'];
    expect(await runCli(args, fakeDeps(client, { env: { BATON_USER: 'bob', USER: 'root' } }))).toBe(0);
    expect(await runCli(args, fakeDeps(client, { env: { USER: 'root' } }))).toBe(0);
    const json = fakeDeps(client, { env: {} });
    expect(await runCli([...args, '--json'], json)).toBe(0);
    expect(client.calls.map((c) => c.actor)).toEqual(['bob', 'root', 'human'].map(human));
    expect(json.io.out.map((l) => JSON.parse(l) as unknown)).toEqual([{ taskId: 't-1', status: 'assigned', leaseEpoch: 2, revision: 7 }]);
  });

  it('prints the scheduler’s refusal (FORBIDDEN, ILLEGAL_TRANSITION) with exit 1', async () => {
    const deps = fakeDeps(
      fakeClient({
        'reassign-task': (d) => {
          if ((d as { taskId: string }).taskId === 't-done') throw new BatonError('ILLEGAL_TRANSITION', 'task t-done is completed; it cannot be reassigned');
          throw new BatonError('FORBIDDEN', 'agent MCT-BE-002 is offline');
        },
      }),
    );
    expect(await runCli(['tasks', 'reassign', 't-1', '--to', 'MCT-BE-002', '--reason', 'x'], deps)).toBe(1);
    expect(await runCli(['tasks', 'reassign', 't-done', '--to', 'MCT-BE-002', '--reason', 'x'], deps)).toBe(1);
    expect(deps.io.err).toEqual(['baton: FORBIDDEN: agent MCT-BE-002 is offline', 'baton: ILLEGAL_TRANSITION: task t-done is completed; it cannot be reassigned']);
    expect(deps.io.out).toEqual([]);
  });
});

describe('usage errors of the decision commands', () => {
  it.each<[argv: readonly string[], error: string]>([
    // approve / reject need --reason (not blank) and both arguments
    [['approve', 'run-1', 'review'], "required option '--reason <text>' not specified"],
    [['reject', 'run-1', 'review', '--reason', '   '], 'expected a non-empty reason'],
    [['reject', 'run-1', '--reason', 'x'], "missing required argument 'stageId'"],
    [['approve', 'run-1', 'review', '--reason', 'x', '--as', ''], 'expected a name of 1 to 200 characters'],
    // escalations resolve needs --resolution (one of three) and --reason; --reassign-to only with reassigned
    [['escalations', 'resolve', 'esc-1', '--reason', 'x'], "required option '--resolution <resolution>' not specified"],
    [['escalations', 'resolve', 'esc-1', '--resolution', 'resolved'], "required option '--reason <text>' not specified"],
    [['escalations', 'resolve', 'esc-1', '--resolution', 'ignored', '--reason', 'x'], 'expected one of resolved, exception_granted, reassigned'],
    [['escalations', 'resolve', 'esc-1', '--resolution', 'resolved', '--reason', 'x', '--reassign-to', 'MCT-BE-003'], 'baton: --reassign-to goes with --resolution reassigned'],
    // conflicts resolve needs --resolution (one of three) and --reason; --reassign-to is required with reassign and refused otherwise
    [['conflicts', 'resolve', 'dep.t-2.0', '--reason', 'x'], "required option '--resolution <resolution>' not specified"],
    [['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'queue'], "required option '--reason <text>' not specified"],
    [['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'queue', '--reason', '  '], 'expected a non-empty reason'],
    [['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'ignore', '--reason', 'x'], 'expected one of reassign, queue, escalate'],
    [['conflicts', 'resolve', '--resolution', 'queue', '--reason', 'x'], "missing required argument 'conflictId'"],
    [['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'reassign', '--reason', 'x'], 'baton: --resolution reassign needs --reassign-to <agentId>'],
    [['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'queue', '--reason', 'x', '--reassign-to', 'MCT-BE-002'], 'baton: --reassign-to goes with --resolution reassign'],
    [['conflicts', 'resolve', 'dep.t-2.0', '--resolution', 'escalate', '--reason', 'x', '--reassign-to', 'MCT-BE-002'], 'baton: --reassign-to goes with --resolution reassign'],
    // tasks reassign needs --to and --reason (not blank) and the task id
    [['tasks', 'reassign', 't-1', '--reason', 'x'], "required option '--to <agentId>' not specified"],
    [['tasks', 'reassign', 't-1', '--to', 'MCT-BE-002'], "required option '--reason <text>' not specified"],
    [['tasks', 'reassign', 't-1', '--to', 'MCT-BE-002', '--reason', ' '], 'expected a non-empty reason'],
    [['tasks', 'reassign', 't-1', '--to', ' ', '--reason', 'x'], 'expected a name of 1 to 200 characters'],
    [['tasks', 'reassign', '--to', 'MCT-BE-002', '--reason', 'x'], "missing required argument 'taskId'"],
  ])('%j exits 1 with %p before connecting', async (argv, error) => {
    await expectUsageError(argv, error);
  });
});
