import type { TaskStatus } from '@baton/contracts';
import type { ConflictFinding } from './conflict.commands';
import {
  conflictIds,
  constraintIssues,
  holdsOf,
  overlapsAny,
  readConstraints,
  sameSubmission,
  settle,
  submissionDigest,
  type HoldCandidate,
  type HoldContext,
  type TaskConstraints,
} from './conflict.rules';

const T0 = '2026-12-01T09:00:00.000Z';
const T1 = '2026-12-01T09:01:00.000Z';

const candidate = (constraints: Partial<TaskConstraints>, over: Partial<HoldCandidate> = {}): HoldCandidate => ({
  taskId: 'task-b',
  runId: 'run-1',
  createdAt: T1,
  leaseEpoch: 0,
  constraints: { files: [], dependsOn: [], workItemId: null, ...constraints },
  ...over,
});
const ctx = (over: Partial<HoldContext> = {}): HoldContext => ({ dependencies: new Map(), workItemTasks: [], inFlightFiles: [], ...over });
/** The hold `conflictId` of the candidate (in run-1) that queues it, by no agent unless `agentId` says. */
const queuedHold = (
  conflictId: string,
  kind: ConflictFinding['kind'],
  hold: Pick<ConflictFinding, 'taskIds' | 'description' | 'details'> & { agentId?: string },
): ConflictFinding => ({ conflictId, kind, agentId: null, runId: 'run-1', autoResolution: 'queue', ...hold });

describe('conflict rules', () => {
  describe('readConstraints (stored tasks, lenient)', () => {
    it('is null for a task that declares nothing, so it never pays for checks', () => {
      expect(readConstraints({})).toBeNull();
      expect(readConstraints({ spec: 'S-1', files: [], dependsOn: [] })).toBeNull();
    });

    it('reads files, dependencies (deduplicated) and the work item in either spelling', () => {
      expect(readConstraints({ files: ['src/a.ts', 3, ''], dependsOn: ['t1', 't1', 't2'], workItemId: ' WI-7 ' })).toEqual({
        files: ['src/a.ts'],
        dependsOn: ['t1', 't2'],
        workItemId: 'WI-7',
      });
      expect(readConstraints({ work_item_id: 42 })).toEqual({ files: [], dependsOn: [], workItemId: '42' });
      expect(readConstraints({ files: 'src/a.ts', dependsOn: 't1', workItemId: {} })).toBeNull();
    });
  });

  describe('constraintIssues (submit, strict)', () => {
    it('accepts well-formed constraints', () => {
      expect(constraintIssues('task-b', { files: ['src/**/*.ts'], dependsOn: ['task-a'], workItemId: 'WI-1', work_item_id: 'WI-1' })).toEqual([]);
      expect(constraintIssues('task-b', { workItemId: 7 })).toEqual([]);
    });

    it('names every bad field by path', () => {
      expect(constraintIssues('task-b', { files: 'src/a.ts', dependsOn: ['ok', 'bad id!', 'task-b'], workItemId: '', work_item_id: 'WI-2' })).toEqual([
        { path: 'inputs.files', message: 'must be an array of paths or globs' },
        { path: 'inputs.dependsOn.1', message: expect.stringContaining('must be a task id') },
        { path: 'inputs.dependsOn.2', message: 'task task-b cannot depend on itself' },
        { path: 'inputs.workItemId', message: expect.stringContaining('non-empty') },
      ]);
      expect(constraintIssues('t', { files: ['ok', 7, ' '] }).map((i) => i.path)).toEqual(['inputs.files.1', 'inputs.files.2']);
      expect(constraintIssues('t', { dependsOn: 'task-a' })).toEqual([{ path: 'inputs.dependsOn', message: 'must be an array of task ids' }]);
      expect(constraintIssues('t', { workItemId: 'A', work_item_id: 'B' })).toEqual([{ path: 'inputs.work_item_id', message: expect.stringContaining('differs') }]);
    });
  });

  describe('holdsOf', () => {
    it('holds nothing when dependencies completed, no earlier live task shares the work item and no in-flight files overlap', () => {
      const c = candidate({ files: ['src/a.ts'], dependsOn: ['task-a'], workItemId: 'WI-1' });
      const context = ctx({
        dependencies: new Map<string, TaskStatus>([['task-a', 'completed']]),
        workItemTasks: [
          { taskId: 'task-old', workItemId: 'WI-1', createdAt: T0, status: 'completed' },
          { taskId: 'task-later', workItemId: 'WI-1', createdAt: '2026-12-01T09:02:00.000Z', status: 'queued' },
          { taskId: 'task-b', workItemId: 'WI-1', createdAt: T1, status: 'queued' },
        ],
        inFlightFiles: [{ taskId: 'task-x', agentId: 'agent-x', files: ['src/b.ts'] }],
      });
      expect(holdsOf(c, context)).toEqual([]);
    });

    it('holds a task whose dependencies are not all completed (queue), naming what it waits for', () => {
      const [hold] = holdsOf(
        candidate({ dependsOn: ['task-a', 'task-c', 'task-d'] }, { leaseEpoch: 2 }),
        ctx({ dependencies: new Map<string, TaskStatus>([['task-a', 'assigned'], ['task-c', 'completed']]) }),
      );
      expect(hold).toEqual(
        queuedHold('dep.task-b.2', 'dependency_clash', {
          taskIds: ['task-b', 'task-a', 'task-d'],
          description: 'task task-b is held until its dependencies complete: task-a (assigned), task-d (unknown task)',
          details: { leaseEpoch: 2, dependsOn: ['task-a', 'task-c', 'task-d'], waitingOn: ['task-a', 'task-d'], statuses: { 'task-a': 'assigned', 'task-c': 'completed', 'task-d': 'unknown' } },
        }),
      );
    });

    it('needs a decision when a dependency failed or was cancelled', () => {
      const [hold] = holdsOf(candidate({ dependsOn: ['task-a', 'task-c'] }), ctx({ dependencies: new Map<string, TaskStatus>([['task-a', 'failed'], ['task-c', 'cancelled']]) }));
      expect(hold).toMatchObject({ kind: 'dependency_clash', autoResolution: null, description: expect.stringContaining('will not complete') });
    });

    it('holds the later task of a work item while an earlier one is live (created earlier, or same time and smaller id)', () => {
      const [hold] = holdsOf(
        candidate({ workItemId: 'WI-1' }),
        ctx({
          workItemTasks: [
            { taskId: 'task-a', workItemId: 'WI-1', createdAt: T0, status: 'assigned' },
            { taskId: 'task-0', workItemId: 'WI-1', createdAt: T1, status: 'queued' },
            { taskId: 'task-z', workItemId: 'WI-1', createdAt: T1, status: 'queued' },
          ],
        }),
      );
      expect(hold).toEqual(
        queuedHold('wi.task-b.0', 'duplicate_task', {
          taskIds: ['task-b', 'task-a', 'task-0'],
          description: 'work item WI-1 was submitted twice: task task-b is held while task-a (assigned), task-0 (queued) handles it',
          details: { leaseEpoch: 0, workItemId: 'WI-1', earlier: [{ taskId: 'task-a', status: 'assigned' }, { taskId: 'task-0', status: 'queued' }] },
        }),
      );
    });

    it('holds a task whose files overlap those of in-flight tasks, naming the files and the tasks', () => {
      const [hold] = holdsOf(
        candidate({ files: ['src/api/**', 'README.md'] }),
        ctx({
          inFlightFiles: [
            { taskId: 'task-a', agentId: 'agent-1', files: ['src/api/users.ts', 'docs/x.md'] },
            { taskId: 'task-b', agentId: null, files: ['src/api/users.ts'] },
            { taskId: 'task-c', agentId: null, files: ['README.md'] },
          ],
        }),
      );
      expect(hold).toEqual(
        queuedHold('files.task-b.0', 'file_overlap', {
          taskIds: ['task-b', 'task-a', 'task-c'],
          agentId: 'agent-1',
          description: 'task task-b modifies files that in-flight tasks modify, so it is held until they end: task-a (held by agent-1): src/api/** ~ src/api/users.ts; task-c: README.md',
          details: {
            leaseEpoch: 0,
            files: ['src/api/**', 'README.md'],
            overlaps: [
              { taskId: 'task-a', agentId: 'agent-1', files: [{ mine: 'src/api/**', theirs: 'src/api/users.ts' }] },
              { taskId: 'task-c', agentId: null, files: [{ mine: 'README.md', theirs: 'README.md' }] },
            ],
          },
        }),
      );
    });

    it('reports every kind that holds the task', () => {
      const holds = holdsOf(
        candidate({ files: ['a'], dependsOn: ['d'], workItemId: 'W' }),
        ctx({
          dependencies: new Map<string, TaskStatus>([['d', 'queued']]),
          workItemTasks: [{ taskId: 'e', workItemId: 'W', createdAt: T0, status: 'queued' }],
          inFlightFiles: [{ taskId: 'f', agentId: 'x', files: ['a'] }],
        }),
      );
      expect(holds.map((h) => h.kind)).toEqual(['dependency_clash', 'duplicate_task', 'file_overlap']);
    });
  });

  it('overlapsAny: files against those taken earlier in a pass', () => {
    expect(overlapsAny(['src/**'], [['lib/a'], ['src/x.ts']])).toBe(true);
    expect(overlapsAny(['src/**'], [['lib/a']])).toBe(false);
    expect(overlapsAny([], [['src/x.ts']])).toBe(false);
  });

  describe('settle', () => {
    const held = { conflictId: 'files.t.0', kind: 'file_overlap' as const, taskId: 't', leaseEpoch: 0, agentId: null };
    const idle = { conflictId: 'idle.t.1', kind: 'agent_idle_timeout' as const, taskId: 't', leaseEpoch: 1, agentId: 'gone' };

    it('waits while the task is still queued in the same episode', () => {
      expect(settle(held, { status: 'queued', leaseEpoch: 0, agentId: null, previousAgentId: null })).toBeNull();
      expect(settle(idle, { status: 'queued', leaseEpoch: 1, agentId: null, previousAgentId: 'gone' })).toBeNull();
    });

    it('a hold settles as queue once the task is assigned in a later lease', () => {
      expect(settle(held, { status: 'assigned', leaseEpoch: 1, agentId: 'a1', previousAgentId: null })).toEqual({
        resolution: 'queue',
        reassignTo: null,
        reason: 'task t was held until nothing blocked it, then assigned to a1',
      });
    });

    it('an idle time-out settles as reassign to the new holder, or queue when the same agent came back', () => {
      expect(settle(idle, { status: 'accepted', leaseEpoch: 2, agentId: 'a2', previousAgentId: 'gone' })).toEqual({
        resolution: 'reassign',
        reassignTo: 'a2',
        reason: 'task t was reassigned to a2 after agent gone went offline',
      });
      expect(settle(idle, { status: 'assigned', leaseEpoch: 2, agentId: 'gone', previousAgentId: 'gone' })).toMatchObject({ resolution: 'queue', reassignTo: null });
    });

    it('settles as queue when the task ended', () => {
      expect(settle(held, { status: 'cancelled', leaseEpoch: 0, agentId: null, previousAgentId: null })).toEqual({
        resolution: 'queue',
        reassignTo: null,
        reason: 'task t was cancelled; nothing is held any more',
      });
      expect(settle(idle, { status: 'failed', leaseEpoch: 1, agentId: null, previousAgentId: 'gone' })).toMatchObject({ resolution: 'queue' });
    });
  });

  describe('submissions', () => {
    const a = { action: 'implement', requirement: { capabilities: ['ts', 'node'] }, inputs: { b: 1, a: { y: [1, 2], x: null } } };

    it('the same content in another key order or capability order is the same submission', () => {
      expect(sameSubmission(a, { action: 'implement', requirement: { capabilities: ['node', 'ts', 'node'] }, inputs: { a: { x: null, y: [1, 2] }, b: 1 } })).toBe(true);
      expect(submissionDigest(a)).toBe(submissionDigest({ ...a, inputs: { a: { x: null, y: [1, 2] }, b: 1 } }));
    });

    it('other action, requirement or inputs is another submission', () => {
      expect(sameSubmission(a, { ...a, action: 'review' })).toBe(false);
      expect(sameSubmission(a, { ...a, requirement: { capabilities: ['ts', 'node'], role: 'backend' } })).toBe(false);
      expect(sameSubmission(a, { ...a, inputs: { b: 2, a: { y: [1, 2], x: null } } })).toBe(false);
      expect(submissionDigest(a)).not.toBe(submissionDigest({ ...a, action: 'review' }));
    });

    it('members left undefined do not make another submission', () => {
      expect(sameSubmission(a, { ...a, inputs: { ...a.inputs, c: undefined } })).toBe(true);
      expect(submissionDigest(a)).toBe(submissionDigest({ ...a, inputs: { ...a.inputs, c: undefined } }));
    });
  });

  it('conflict ids fit the resolve-conflict id rule', () => {
    const id = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
    const longTask = `t${'x'.repeat(127)}`;
    for (const c of [conflictIds.dependency(longTask, 12), conflictIds.workItem(longTask, 0), conflictIds.files(longTask, 3), conflictIds.idle(longTask, 99), conflictIds.duplicate(longTask, 'abc123')]) {
      expect(c).toMatch(id);
    }
  });
});
