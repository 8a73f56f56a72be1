import type { AgentInboxAssignment } from '@baton/contracts';
import { artifactFileName, renderTaskMd } from './task-brief';

const HASH = `sha256:${'a'.repeat(64)}`;

function task(inputs: Record<string, unknown>): AgentInboxAssignment {
  return { kind: 'task.assigned', taskId: 't-1', runId: 'run-7', stageId: 'implementation', action: 'implement_feature', inputs, priority: 'P1', leaseEpoch: 3, attempt: 2, assignedAt: '2026-12-06T07:00:00.000Z' };
}

describe('the task brief (task.md)', () => {
  it('keeps artifact file names inside their directory', () => {
    expect(artifactFileName('../../etc/passwd')).toBe('etc/passwd');
    expect(artifactFileName('/abs/file.md')).toBe('abs/file.md');
    expect(artifactFileName('linear_tickets[]')).toBe('linear_tickets__');
    expect(artifactFileName('designs/')).toBe('designs');
    expect(artifactFileName('..')).toBe('artifact');
  });

  it('has the goal, the inputs, the upstream files, the rework failures, the run feedback, the checks and the outputs to write', () => {
    const md = renderTaskMd(
      task({
        title: 'Add search',
        description: 'Full-text search over tickets.',
        files: ['src/search.ts'],
        upstream: { design: { artifacts: { 'api_spec.yaml': { hash: HASH } } } },
        rework: {
          round: 1,
          handoffId: 'h-1',
          failures: [{ source: 'handoff', specId: 'HO-ARCH-DEV', artifact: 'pull_request', rule: 'tests: required', message: 'no tests', missing: ['unit tests for search'] }],
        },
        feedback: { by: { kind: 'agent', id: 'reviewer-1' }, reason: 'the index is not used', findings: [{ severity: 'high', title: 'full scan' }] },
        checks: { mode: 'handoff', specIds: ['HO-ARCH-DEV'], toAgentIds: [], declaredOutputs: ['pull_request'], qualityGate: ['coverage >= 80%'], criteria: [] },
      }),
      {
        agentId: 'coder-1',
        outputs: ['result.md', 'src/search.ts'],
        upstream: [
          { stageId: 'design', name: 'api_spec.yaml', hash: HASH, size: null, mediaType: null, path: 'upstream/design/api_spec.yaml' },
          { stageId: 'prd', name: 'prd.md', hash: HASH, size: null, mediaType: null, error: 'NOT_FOUND' },
        ],
        contextDir: '/w/.baton-task/t-1',
        resultFile: 'result.json',
      },
    );
    expect(md).toContain('# Task t-1: implement_feature');
    expect(md).toContain('Agent coder-1 · attempt 2 · priority P1 · run run-7, stage implementation');
    expect(md).toContain('## Goal\n\nAdd search\n\nFull-text search over tickets.');
    expect(md).toContain('"files": [\n    "src/search.ts"\n  ]');
    expect(md).not.toContain('"upstream"');
    expect(md).toContain('- `upstream/design/api_spec.yaml`: api_spec.yaml from stage design');
    expect(md).toContain('prd.md from stage prd');
    expect(md).toContain('could not be fetched (NOT_FOUND)');
    expect(md).toContain('- **HO-ARCH-DEV / pull_request**: no tests (rule: `tests: required`)\n  - missing: unit tests for search');
    expect(md).toContain('The work came back from agent reviewer-1: the index is not used');
    expect(md).toContain('- quality gate: coverage >= 80%');
    expect(md).toContain('- handoff specs: HO-ARCH-DEV');
    expect(md).toContain('- `result.md`\n- `src/search.ts`');
    expect(md).toContain('write a JSON object to `result.json`: `{"outputs": {"coverage": 91}, "context": {"priority_level": "P1"}}`');
  });

  it('without a goal in the inputs, says what action to carry out; without outputs, that exit 0 is the handover', () => {
    const md = renderTaskMd(task({}), { agentId: 'coder-1', outputs: [], upstream: [], contextDir: '/w' });
    expect(md).toContain('Carry out `implement_feature` with the inputs below.');
    expect(md).not.toContain('## Inputs');
    expect(md).toContain('Exit with status 0 when the work is done');
  });
});
