import { appendToSection, newTaskFile, parseTaskFile, renderTaskFile, setGitField, setInline, setSection, summarize } from './task-file';

const stub = () => newTaskFile({ id: 'TASK-001', title: 'Add login rate limit', priority: 'P0', createdAt: '2026-12-06T07:00:00Z' });

describe('task file', () => {
  it('writes a new file in the schema, with its placeholders read as empty', () => {
    const doc = parseTaskFile(stub());
    expect(renderTaskFile(doc)).toBe(stub());
    const t = summarize(doc);
    expect(t).toMatchObject({ id: 'TASK-001', title: 'Add login rate limit', status: 'pending', priority: 'P0', agent: 'unassigned', created: '2026-12-06T07:00:00Z', goal: '', filesAffected: [], acceptanceCriteria: [] });
    expect(t.definitionOfReady.map((i) => i.text)).toEqual(['Prerequisites met', 'Context provided', 'Files identified']);
    expect(t.git).toEqual({ branch: undefined, commit: undefined, pr: undefined });
    for (const heading of ['## Status: pending', '## Priority: P0', '## Agent: unassigned', '## Created: ', '## Last Updated: ', '## Goal', '## Acceptance Criteria', '## Definition of Ready', '## Definition of Done', '## Files Affected', '## Implementation Notes', '## Review Feedback', '## Error Context', '## Git Context', '- Branch: ', '- Commit: ', '- PR: ']) {
      expect(stub()).toContain(heading);
    }
  });

  it('changes only the chunks it touches: hand-written sections, comments and spacing stay byte for byte', () => {
    const handWritten = stub()
      .replace('## Goal\n[Clear description of what needs to be done]', '## Goal\nLimit   login attempts.  \n\n<!-- keep: agreed with security -->')
      .replace('## Implementation Notes', '## Risks (hand-written)\n- lockout of real users\n   indented text\n\n## Implementation Notes')
      + '\n## Links\n```md\n## Not a heading inside a fence\n```\n';
    let doc = parseTaskFile(handWritten);
    expect(renderTaskFile(doc)).toBe(handWritten);
    doc = setInline(doc, 'Status', 'ready');
    doc = appendToSection(doc, 'Review Feedback', '### t · codex · changes requested\nUse a sliding window.');
    doc = setGitField(doc, 'Branch', 'feat/rate-limit');
    const out = renderTaskFile(doc);
    for (const kept of [
      '## Risks (hand-written)\n- lockout of real users\n   indented text\n\n## Implementation Notes',
      '## Goal\nLimit   login attempts.  \n\n<!-- keep: agreed with security -->',
      '## Links\n```md\n## Not a heading inside a fence\n```\n',
    ]) {
      expect(out).toContain(kept);
    }
    for (const changed of ['## Status: ready\n', '## Review Feedback\n### t · codex · changes requested\nUse a sliding window.\n', '- Branch: feat/rate-limit\n- Commit: [commit-hash]']) {
      expect(out).toContain(changed);
    }
    expect(summarize(parseTaskFile(out)).git.branch).toBe('feat/rate-limit');
    // Everything outside the three touched chunks is identical.
    const untouched = (s: string) => s.replace(/## Status: \w+/, '').replace(/## Review Feedback[\s\S]*?(?=## Error Context)/, '').replace(/- Branch: .*/, '');
    expect(untouched(out)).toBe(untouched(handWritten));
  });

  it('appends entries and never drops earlier ones', () => {
    let doc = parseTaskFile(stub());
    doc = appendToSection(doc, 'Error Context', 'first failure');
    doc = appendToSection(doc, 'Error Context', 'second failure');
    expect(summarize(doc).errorContext).toBe('first failure\n\nsecond failure');
  });

  it('adds a section the file lacks in the schema order, and keeps CRLF files CRLF', () => {
    const crlf = stub().replace(/\n/g, '\r\n');
    let doc = parseTaskFile(crlf);
    doc = setSection(doc, 'Dependencies', '- TASK-000');
    const out = renderTaskFile(doc);
    expect(out).not.toMatch(/[^\r]\n/);
    expect(out.indexOf('## Dependencies')).toBeGreaterThan(out.indexOf('## Files Affected'));
    expect(out.indexOf('## Dependencies')).toBeLessThan(out.indexOf('## Implementation Notes'));
    expect(summarize(parseTaskFile(out)).dependencies).toEqual(['TASK-000']);
  });

  it('refuses a malformed file with every problem and its line', () => {
    const bad = stub().replace('# Task: TASK-001 - Add login rate limit', '# Add login rate limit').replace('## Status: pending', '## Status: started').replace('## Priority: P0', '## Priority: urgent');
    expect(() => parseTaskFile(bad, 'pending/TASK-001.md')).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        details: expect.objectContaining({
          reason: 'MALFORMED_TASK_FILE',
          problems: ['line 1: expected a title line "# Task: <id> - <title>"', 'line 3: status "started" is not one of pending, ready, in-progress, review, done, failed', 'line 5: priority "urgent" is not one of P0, P1, P2'],
        }),
      }),
    );
    expect(() => parseTaskFile(stub() + '\n## Goal\nagain\n')).toThrow(/"## Goal" appears twice/);
  });
});
