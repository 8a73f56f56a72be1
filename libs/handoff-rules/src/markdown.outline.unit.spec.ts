import { findBlock, hasContent, itemsOf, parseLabel, parseOutline } from './markdown.outline';

describe('parseOutline', () => {
  it('builds the heading tree, with setext headings, and ignores "#" lines inside code fences', () => {
    const doc = parseOutline('Title\n=====\n\nIntro\n\n## A\n```sh\n# not a heading\n```\n### A.1\ntext\n\nB part\n------\nbody\n');
    expect(doc.root.children.map((h) => [h.title, h.level, h.line])).toEqual([['Title', 1, 1]]);
    const title = doc.root.children[0];
    expect(title?.children.map((h) => [h.title, h.level, h.children.map((c) => c.title)])).toEqual([
      ['A', 2, ['A.1']],
      ['B part', 2, []],
    ]);
  });

  it('finds headings before labels, and a heading that starts with the key last', () => {
    const doc = parseOutline('Success metrics: see below\n\n## Success Metrics and KPIs\n- a\n');
    expect(findBlock(doc, doc.root, 'success_metrics')?.kind).toBe('label');
    const only = parseOutline('## Success Metrics and KPIs\n- a\n- b\n');
    const block = findBlock(only, only.root, 'success_metrics');
    expect(block?.title).toBe('Success Metrics and KPIs');
    expect(block && itemsOf(only, block).length).toBe(2);
  });

  it('treats a section with only a code block as content', () => {
    const doc = parseOutline('## Architecture Diagram\n```mermaid\nflowchart LR\n  A --> B\n```\n');
    const block = findBlock(doc, doc.root, 'architecture_diagram');
    expect(block && hasContent(doc, block)).toBe(true);
  });
});

describe('parseLabel', () => {
  it('reads the label forms', () => {
    expect(parseLabel('**Acceptance Criteria:** works')).toEqual({ label: 'Acceptance Criteria', rest: 'works', indent: 0 });
    expect(parseLabel('**Acceptance Criteria**: works')).toMatchObject({ label: 'Acceptance Criteria', rest: 'works' });
    expect(parseLabel('**Acceptance Criteria**')).toMatchObject({ label: 'Acceptance Criteria', rest: '' });
    expect(parseLabel('  - Acceptance criteria: works')).toMatchObject({ label: 'Acceptance criteria', indent: 2 });
    expect(parseLabel('**Note** this is bold prose')).toBeNull();
    expect(parseLabel('See https://example.com: docs')).toBeNull();
  });
});
