import type { AgentInboxAssignment } from '@baton/contracts';
import { artifactFileName, renderTaskMd } from './task-brief';

const HASH = `sha256:${'a'.repeat(64)}`;

function task(inputs: Record<string, unknown>): AgentInboxAssignment {
  return { kind: 'task.assigned', taskId: 't-1', runId: 'run-7', stageId: 'implementation', action: 'implement_feature', inputs, priority: 'P1', leaseEpoch: 3, attempt: 2, assignedAt: '2026-12-06T07:00:00.000Z' };
}

describe('the task brief (task.md)', () => {
  it.each(Object.entries({ '../../etc/passwd': 'etc/passwd', '/abs/file.md': 'abs/file.md', 'linear_tickets[]': 'linear_tickets__', 'designs/': 'designs', '..': 'artifact' }))(
    'keeps artifact file names inside their directory: %s is written as %s',
    (name, file) => {
      expect(artifactFileName(name)).toBe(file);
    },
  );

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
    for (const part of [
      '# Task t-1: implement_feature',
      'Agent coder-1 · attempt 2 · priority P1 · run run-7, stage implementation',
      '## Goal\n\nAdd search\n\nFull-text search over tickets.',
      '"files": [\n    "src/search.ts"\n  ]',
      '- `upstream/design/api_spec.yaml`: api_spec.yaml from stage design',
      'prd.md from stage prd',
      'could not be fetched (NOT_FOUND)',
      '- **HO-ARCH-DEV / pull_request**: no tests (rule: `tests: required`)\n  - missing: unit tests for search',
      'The work came back from agent reviewer-1: the index is not used',
      '- quality gate: coverage >= 80%',
      '- handoff specs: HO-ARCH-DEV',
      '- `result.md`\n- `src/search.ts`',
      'write a JSON object to `result.json`: `{"outputs": {"coverage": 91}, "context": {"priority_level": "P1"}}`',
    ]) {
      expect(md).toContain(part);
    }
    expect(md).not.toContain('"upstream"');
  });

  it('without a goal in the inputs, says what action to carry out; without outputs, that exit 0 is the handover', () => {
    const md = renderTaskMd(task({}), { agentId: 'coder-1', outputs: [], upstream: [], contextDir: '/w' });
    expect(md).toContain('Carry out `implement_feature` with the inputs below.');
    expect(md).not.toContain('## Inputs');
    expect(md).toContain('Exit with status 0 when the work is done');
  });
});
