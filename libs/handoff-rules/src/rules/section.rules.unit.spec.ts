import { checkOne } from '../testing.helpers';

const PRD_OK = `# PRD

## Problem Statement
Admins rebuild reports by hand every week.

## Success Metrics
- Adoption reaches 60% in 30 days.
- Support tickets drop by 40%.

## User Stories

### Story 1: As a user, I can export reports to CSV
**Acceptance Criteria:**
- Given a report, when I export, then a CSV downloads.

### Story 2: As a user, I can schedule exports
Acceptance criteria: the export runs at the chosen time.

### Story 3: As an auditor, I can see the export history
#### Acceptance Criteria
- Each export shows time and recipients.
`;

describe('present', () => {
  it('passes when the section exists with content, whatever the heading case or separators', () => {
    expect(checkOne('problem_statement: present', 'prd.md', PRD_OK)).toEqual([]);
    expect(checkOne('problem_statement: present', 'prd.md', '# PRD\n\n## problem statement\n\nUsers wait.\n')).toEqual([]);
    expect(checkOne('problem_statement: present', 'prd.md', '# PRD\n\n## 1. PROBLEM_STATEMENT\n\nUsers wait.\n')).toEqual([]);
  });

  it('accepts a labelled line instead of a heading', () => {
    expect(checkOne('problem_statement: present', 'prd.md', '# PRD\n\n**Problem statement:** users wait for reports.\n')).toEqual([]);
  });

  it('fails when the section is missing, naming the section to add', () => {
    const [f, ...rest] = checkOne('problem_statement: present', 'prd.md', '# PRD\n\n## Goals\n\nShip it.\n');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ source: 'handoff', specId: 'HO-TEST', artifact: 'prd.md', rule: 'problem_statement: present', missing: ['section "Problem Statement"'] });
    expect(f?.message).toContain('section "Problem Statement" is missing from prd.md: add a "## Problem Statement" section');
  });

  it('fails when the section is empty', () => {
    const [f] = checkOne('problem_statement: present', 'prd.md', '# PRD\n\n## Problem Statement\n\n## Goals\n\nShip it.\n');
    expect(f?.message).toContain('section "Problem Statement" (line 3) in prd.md is empty');
    expect(f?.missing).toEqual(['content of section "Problem Statement"']);
  });

  it('checks a JSON/YAML artifact by key, and every element of a list artifact', () => {
    expect(checkOne('owner: present', 'meta.json', '{"owner": "team-a"}')).toEqual([]);
    expect(checkOne('owner: present', 'meta.yaml', 'owner: ""\n')[0]?.message).toContain('"owner" in meta.yaml is empty');
    expect(checkOne('owner: present', 'meta.yaml', 'name: x\n')[0]).toMatchObject({ missing: ['owner'] });
    const tickets = JSON.stringify([{ id: 'T-1', acceptance_criteria: ['works'] }, { id: 'T-2', acceptance_criteria: [] }, { id: 'T-3' }]);
    const [f] = checkOne('acceptance_criteria: present', 'linear_tickets[]', tickets);
    expect(f?.message).toContain('2 of 3 tickets in linear_tickets[] have no "acceptance_criteria"');
    expect(f?.missing).toEqual(['acceptance criteria for ticket "T-2"', 'acceptance criteria for ticket "T-3"']);
    expect(checkOne('acceptance_criteria: present', 'linear_tickets[]', JSON.stringify([{ id: 'T-1', acceptance_criteria: ['works'] }]))).toEqual([]);
  });

  it('matches a plural rule key to a singular field (estimates ≡ estimate)', () => {
    expect(checkOne('estimates: present', 'linear_tickets[]', JSON.stringify([{ id: 'T-1', estimate: 3 }]))).toEqual([]);
  });

  it('reports an artifact that does not parse', () => {
    const [f] = checkOne('owner: present', 'meta.json', '{"owner": ');
    expect(f?.message).toMatch(/^meta\.json is not valid JSON/);
  });
});

describe('min count', () => {
  it('counts list items directly under the heading', () => {
    expect(checkOne('success_metrics: min 2', 'prd.md', PRD_OK)).toEqual([]);
  });

  it('counts sub-headings when there are more of them than list items', () => {
    expect(checkOne('user_stories: min 3', 'prd.md', PRD_OK)).toEqual([]);
  });

  it('treats a bare number as "at least"', () => {
    expect(checkOne('responsive_variants: 3', 'designs.md', '## Responsive Variants\n- mobile\n- tablet\n- desktop\n')).toEqual([]);
    const [f] = checkOne('responsive_variants: 3', 'designs.md', '## Responsive Variants\n- mobile\n- desktop\n');
    expect(f?.missing).toEqual(['1 more responsive variant']);
  });

  it('does not count nested list items', () => {
    const text = '## Success Metrics\n- Adoption\n  - 60% in 30 days\n  - 80% in 90 days\n';
    const [f] = checkOne('success_metrics: min 2', 'prd.md', text);
    expect(f?.message).toContain('section "Success Metrics" has 1 item; at least 2 are required');
  });

  it('fails with how many more are needed', () => {
    const text = '# PRD\n\n## User Stories\n\n- As a user, I can export reports.\n';
    const [f] = checkOne('user_stories: min 3', 'prd.md', text);
    expect(f).toMatchObject({ rule: 'user_stories: min 3', artifact: 'prd.md', missing: ['2 more user stories'] });
    expect(f?.message).toContain('section "User Stories" has 1 item; at least 3 are required');
  });

  it('fails when the section is missing', () => {
    const [f] = checkOne('user_stories: min 3', 'prd.md', '# PRD\n');
    expect(f?.missing).toEqual(['section "User Stories"']);
    expect(f?.message).toContain('add a "## User Stories" section with at least 3 items');
  });

  it('counts a JSON/YAML list by its length', () => {
    expect(checkOne('responsive_variants: 3', 'designs/', '{"responsive_variants": ["mobile", "tablet", "desktop"]}')).toEqual([]);
    const [f] = checkOne('responsive_variants: 3', 'designs/', '{"responsive_variants": ["mobile"]}');
    expect(f?.message).toContain('"responsive_variants" in designs/ has 1 entry; at least 3 are required');
    expect(f?.missing).toEqual(['2 more responsive variants']);
    expect(checkOne('responsive_variants: 3', 'designs/', '{"responsive_variants": 3}')[0]?.message).toContain('not a list');
  });
});

describe('present for each', () => {
  it('passes when every story has acceptance criteria (sub-heading, bold label or plain label)', () => {
    expect(checkOne('acceptance_criteria: present for each story', 'prd.md', PRD_OK)).toEqual([]);
  });

  it('lists each story that lacks acceptance criteria', () => {
    const text = `## User Stories

### Story 1: As a user, I can export reports to CSV
**Acceptance Criteria:**
- A CSV downloads.

### Story 2: As a user, I can schedule exports every week at a chosen time
Nothing else yet.

### Story 3: As an auditor, I can see history
**Acceptance criteria:**
`;
    const [f] = checkOne('acceptance_criteria: present for each story', 'prd.md', text);
    expect(f?.message).toContain('2 of 3 stories in prd.md have no acceptance criteria');
    expect(f?.missing).toEqual(['acceptance criteria for story "As a user, I can schedule exports every…"', 'acceptance criteria for story "As an auditor, I can see history" (empty)']);
  });

  it('works with stories as list items carrying a nested label', () => {
    const text = '## User Stories\n\n- As a user, I can export.\n  - Acceptance criteria: a CSV downloads.\n- As a user, I can schedule.\n';
    const [f] = checkOne('acceptance_criteria: present for each story', 'prd.md', text);
    expect(f?.missing).toEqual(['acceptance criteria for story "As a user, I can schedule."']);
  });

  it('fails when there is no stories section at all', () => {
    const [f] = checkOne('acceptance_criteria: present for each story', 'prd.md', '# PRD\n\n## Problem Statement\n\nSlow.\n');
    expect(f?.missing).toEqual(['section "Stories"']);
    expect(f?.message).toContain('prd.md has no section of stories to check acceptance criteria against');
  });

  it('checks each element of a JSON list named after the word', () => {
    const ok = JSON.stringify({ user_stories: [{ title: 'Export', acceptance_criteria: ['CSV'] }] });
    expect(checkOne('acceptance_criteria: present for each story', 'prd.json', ok)).toEqual([]);
    const bad = JSON.stringify({ user_stories: [{ title: 'Export', acceptance_criteria: ['CSV'] }, { title: 'Schedule' }] });
    const [f] = checkOne('acceptance_criteria: present for each story', 'prd.json', bad);
    expect(f?.missing).toEqual(['acceptance criteria for story "Schedule"']);
  });
});

describe('complete', () => {
  const tdd = (body: string): string => `# TDD\n\n## Component Specs\n\n${body}\n\n## Security Considerations\n\nTBD\n`;

  it('passes when the section is present, non-empty and has no placeholders (outside it does not matter)', () => {
    expect(checkOne('component_specs: complete', 'tdd.md', tdd('### API\n- Serves /schedules.'))).toEqual([]);
  });

  it('fails on TBD markers inside the section, with their lines', () => {
    const [f] = checkOne('component_specs: complete', 'tdd.md', tdd('### API\n- Serves /schedules.\n### Worker\nTBD'));
    expect(f?.message).toContain('section "Component Specs" in tdd.md is not complete: it still has 1 placeholder (line 8: "TBD")');
    expect(f?.missing).toEqual(['line 8: "TBD"']);
  });

  it('fails when the section is empty or missing', () => {
    expect(checkOne('component_specs: complete', 'tdd.md', tdd(''))[0]?.message).toContain('is empty');
    expect(checkOne('component_specs: complete', 'tdd.md', '# TDD\n')[0]?.missing).toEqual(['section "Component Specs"']);
  });

  it('scans the string values of a JSON field', () => {
    const [f] = checkOne('component_specs: complete', 'tdd.json', JSON.stringify({ component_specs: { api: 'done', worker: 'TODO' } }));
    expect(f?.missing).toEqual(['/component_specs/worker: "TODO"']);
  });
});
