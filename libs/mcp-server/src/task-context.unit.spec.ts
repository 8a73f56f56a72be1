import type { HandoffView, RuleFailure, TaskView } from '@baton/contracts';
import { describeContext, describeFailure } from './mcp-text';
import { checksOf, claimableOf, reworkOf, taskContextOf, upstreamArtifactsOf, type HandoffSpecSummary } from './task-context';

const HASH = `sha256:${'a'.repeat(64)}`;
const specs: HandoffSpecSummary[] = [
  { id: 'HO-PM-ARCH', from: ['pm-1'], to: ['arch-1'], artifacts: ['prd.md', 'designs/'], context: ['priority_level', 'deadline'], source: 'ho-pm-arch.yaml' },
  { id: 'HO-ARCH-DEV', from: ['arch-1'], to: ['dev-1'], artifacts: ['tdd.md'], context: [], source: 'ho-arch-dev.yaml' },
];
const failure = (rule: string, at = 0): RuleFailure => ({ source: 'handoff', specId: 'HO-PM-ARCH', artifact: 'prd.md', rule, message: `${rule} does not hold (${at})`, missing: [] });
const handoff = (handoffId: string, status: 'accepted' | 'rejected', submittedAt: string, failures: RuleFailure[] = []): HandoffView => ({
  handoffId,
  taskId: 't-1',
  runId: null,
  stageId: null,
  iteration: null,
  fromAgentId: 'pm-1',
  status,
  specIds: ['HO-PM-ARCH'],
  artifacts: [],
  context: {},
  failures,
  submittedAt,
});

describe('upstreamArtifactsOf', () => {
  it('lists the artifacts each upstream stage handed over, with the resource to read them', () => {
    const inputs = { upstream: { prd: { artifacts: { 'prd.md': { hash: HASH, size: 120, mediaType: 'text/markdown' } }, handoff: {} }, plan: { done: true } } };
    expect(upstreamArtifactsOf(inputs)).toEqual([{ stageId: 'prd', name: 'prd.md', hash: HASH, size: 120, mediaType: 'text/markdown', uri: `baton://artifacts/${HASH}` }]);
  });

  it('ignores what is not an artifact reference', () => {
    expect(upstreamArtifactsOf({ upstream: { a: { artifacts: { x: 'text', y: { size: 1 } } } } })).toEqual([]);
    expect(upstreamArtifactsOf({ upstream: 'nothing' })).toEqual([]);
    expect(upstreamArtifactsOf({})).toEqual([]);
  });
});

describe('checksOf', () => {
  it('gives the specs the task names, and the ids the validator does not know', () => {
    const c = checksOf({ checks: { specIds: ['HO-PM-ARCH', 'HO-NOPE'], declaredOutputs: ['prd.md'], qualityGate: ['coverage >= 80%'] } }, 'dev-9', specs);
    expect(c).toEqual({ mode: 'handoff', specs: [specs[0]], unknownSpecIds: ['HO-NOPE'], declaredOutputs: ['prd.md'], qualityGate: ['coverage >= 80%'], criteria: [] });
  });

  it('without named specs, takes those from this agent to the next agents, as the validator does', () => {
    expect(checksOf({ checks: { toAgentIds: ['arch-1'] } }, 'pm-1', specs)?.specs.map((s) => s.id)).toEqual(['HO-PM-ARCH']);
    expect(checksOf({ checks: { toAgentIds: ['dev-1'] } }, 'pm-1', specs)?.specs).toEqual([]);
    expect(checksOf({ checks: {} }, 'arch-1', specs)?.specs.map((s) => s.id)).toEqual(['HO-ARCH-DEV']);
  });

  it('is null for a task with no checks (or checks it cannot read)', () => {
    expect(checksOf({}, 'pm-1', specs)).toBeNull();
    expect(checksOf({ checks: { mode: 'sometimes' } }, 'pm-1', specs)).toBeNull();
  });
});

describe('reworkOf', () => {
  it('is the newest rejection since the last acceptance, counting the rounds', () => {
    const r = reworkOf({}, [
      handoff('h2', 'rejected', '2026-12-01T10:02:00Z', [failure('user_stories: min 3', 2)]),
      handoff('h1', 'rejected', '2026-12-01T10:01:00Z', [failure('no_tbd_markers', 1)]),
    ]);
    expect(r).toEqual({ source: 'handoff', handoffId: 'h2', round: 2, failures: [failure('user_stories: min 3', 2)], note: null });
  });

  it('is null once the handoff was accepted', () => {
    expect(reworkOf({}, [handoff('h1', 'rejected', '2026-12-01T10:01:00Z', [failure('x')]), handoff('h2', 'accepted', '2026-12-01T10:02:00Z')])).toBeNull();
  });

  it('falls back to the feedback a review upstream sent back', () => {
    expect(reworkOf({ feedback: { reason: 'the API lacks pagination', findings: [failure('pagination')], round: 2 } }, [])).toEqual({
      source: 'review',
      handoffId: null,
      round: 2,
      failures: [failure('pagination')],
      note: 'the API lacks pagination',
    });
    expect(reworkOf({ feedback: 'redo the diagram' }, [])).toMatchObject({ source: 'review', note: 'redo the diagram', failures: [] });
    expect(reworkOf({}, [])).toBeNull();
  });
});

describe('taskContextOf', () => {
  it('puts the goal, the declared files and everything above together', () => {
    const c = taskContextOf(
      { taskId: 't-1', runId: 'r-1', stageId: 'prd', action: 'write_prd', inputs: { title: ' Exports ', files: ['docs/prd.md', 3], checks: { specIds: ['HO-PM-ARCH'] } }, priority: 'P0', attempt: 2, leaseEpoch: 3 },
      'pm-1',
      specs,
      [handoff('h1', 'rejected', '2026-12-01T10:01:00Z', [failure('no_tbd_markers')])],
    );
    expect(c).toMatchObject({ goal: 'write_prd: Exports', files: ['docs/prd.md'], leaseEpoch: 3, attempt: 2, rework: { round: 1 }, checks: { specs: [{ id: 'HO-PM-ARCH' }] } });
    const text = describeContext(c, 'You hold task t-1.');
    expect(text).toContain('# write_prd: Exports');
    expect(text).toContain('Rework (round 1)');
    expect(text).toContain(describeFailure(failure('no_tbd_markers')));
    expect(text).toContain('Spec HO-PM-ARCH (pm-1 → arch-1): artifacts prd.md, designs/; context keys priority_level, deadline');
  });
});

describe('claimableOf', () => {
  const view = (taskId: string, over: Partial<TaskView> = {}): TaskView => ({
    taskId,
    runId: null,
    stageId: null,
    action: 'code',
    requirement: { capabilities: [] },
    priority: 'P1',
    inputs: {},
    status: 'queued',
    agentId: null,
    leaseEpoch: 0,
    attempt: 1,
    maxAttempts: 3,
    notBefore: null,
    percent: null,
    progressMessage: null,
    tokensUsed: null,
    blockedReason: null,
    outputs: null,
    error: null,
    createdAt: '2026-12-01T10:00:00Z',
    updatedAt: '2026-12-01T10:00:00Z',
    revision: 0,
    ...over,
  });
  const me = { agentId: 'dev-1', role: 'developer', capabilities: ['code', 'review'] };
  const now = new Date('2026-12-01T12:00:00Z');

  it('keeps the waiting tasks this agent meets the requirement of, P0 first, then oldest', () => {
    const tasks = [
      view('late', { createdAt: '2026-12-01T11:00:00Z' }),
      view('urgent', { priority: 'P0', createdAt: '2026-12-01T11:30:00Z' }),
      view('early', { createdAt: '2026-12-01T09:00:00Z', requirement: { capabilities: ['code'], role: 'developer' } }),
      view('other-role', { requirement: { role: 'architect', capabilities: [] } }),
      view('other-agent', { requirement: { agentId: 'dev-2', capabilities: [] } }),
      view('missing-capability', { requirement: { capabilities: ['deploy'] } }),
      view('held', { status: 'assigned', agentId: 'dev-3' }),
      view('retry-later', { notBefore: '2026-12-01T12:05:00Z' }),
      view('retry-now', { notBefore: '2026-12-01T11:59:00Z', createdAt: '2026-12-01T11:45:00Z' }),
    ];
    expect(claimableOf(tasks, me, now).map((t) => t.taskId)).toEqual(['urgent', 'early', 'late', 'retry-now']);
  });
});
