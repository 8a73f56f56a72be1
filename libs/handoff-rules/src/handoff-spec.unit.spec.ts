import type { SpecDiagnostic } from './handoff.errors';
import { parseHandoffSpec, parseHandoffSpecs } from './handoff-spec';

const SEED = `handoff:
  id: "HO-PM-ARCH"
  from: "MCT-PM-001"
  to: "MCT-ARCH-001"

  required_artifacts:
    - name: "prd.md"
      validation:
        - "problem_statement: present"
        - "user_stories: min 3"

    - name: "designs/"
      validation:
        - "responsive_variants: 3"
        - "all_states_designed"

  required_context:
    - "priority_level"
    - "changed_files[]"
    - "auth_changes: boolean"

  sla:
    acknowledgment: "30 minutes"
    first_output: "4 hours"
`;

/** The diagnostics a bad spec throws. */
function errorsOf(text: string, file = 'bad.yaml'): SpecDiagnostic[] {
  try {
    parseHandoffSpecs(text, file);
  } catch (e) {
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', name: 'HandoffSpecError' });
    return (e as { details: { errors: SpecDiagnostic[] } }).details.errors;
  }
  throw new Error('expected the spec to be rejected');
}

describe('parseHandoffSpec', () => {
  it('parses the seed shape', () => {
    const spec = parseHandoffSpec(SEED, 'ho-pm-arch.yaml');
    expect(spec).toMatchObject({
      id: 'HO-PM-ARCH',
      from: ['MCT-PM-001'],
      to: ['MCT-ARCH-001'],
      sla: { acknowledgmentMs: 30 * 60_000, firstOutputMs: 4 * 3_600_000 },
      source: 'ho-pm-arch.yaml',
    });
    expect(spec.artifacts.map((a) => [a.name, a.rules.map((r) => `${r.kind}:${r.text}`)])).toEqual([
      ['prd.md', ['present:problem_statement: present', 'min_count:user_stories: min 3']],
      ['designs/', ['min_count:responsive_variants: 3', 'flag:all_states_designed']],
    ]);
    expect(spec.context).toEqual([
      { key: 'priority_level', type: 'any', text: 'priority_level' },
      { key: 'changed_files', type: 'array', text: 'changed_files[]' },
      { key: 'auth_changes', type: 'boolean', text: 'auth_changes: boolean' },
    ]);
  });

  it('accepts lists for from/to, unquoted rules, a schema map, and no sla', () => {
    const spec = parseHandoffSpec(
      `handoff:
  id: HO-X
  from: [MCT-BE-001, MCT-FE-001]
  to:
    - MCT-SEC-001
  required_artifacts:
    - name: tickets.json
      validation:
        - user_stories: min 3
        - schema: { type: array, minItems: 1 }
    - notes.md
  required_context:
    - auth_changes: boolean
`,
      'x.yaml',
    );
    expect(spec.from).toEqual(['MCT-BE-001', 'MCT-FE-001']);
    expect(spec.to).toEqual(['MCT-SEC-001']);
    expect(spec.artifacts[0]?.rules.map((r) => r.kind)).toEqual(['min_count', 'json_schema']);
    expect(spec.artifacts[1]).toEqual({ name: 'notes.md', rules: [] });
    expect(spec.context[0]).toMatchObject({ key: 'auth_changes', type: 'boolean' });
    expect(spec.sla).toEqual({ acknowledgmentMs: null, firstOutputMs: null });
  });

  it('reads several YAML documents from one file', () => {
    const two = `${SEED}---\nhandoff:\n  id: HO-B\n  from: A\n  to: B\n`;
    expect(parseHandoffSpecs(two, 'two.yaml').map((s) => s.id)).toEqual(['HO-PM-ARCH', 'HO-B']);
    expect(() => parseHandoffSpec(two, 'two.yaml')).toThrow('the file holds 2 handoff specs (HO-PM-ARCH, HO-B); parseHandoffSpec reads one: use parseHandoffSpecs or loadHandoffCatalog');
  });

  it('reports bad YAML at its line and column', () => {
    const [e] = errorsOf('handoff:\n  id: "HO-X\n  from: A\n', 'broken.yaml');
    expect(e).toMatchObject({ file: 'broken.yaml' });
    expect(e?.message).toMatch(/^YAML syntax error: .+: fix the indentation or quoting$/);
    expect(e?.line).toBeGreaterThanOrEqual(2);
  });

  it('reports missing id, from and to', () => {
    expect(errorsOf('handoff:\n  to: B\n').map((e) => [e.line, e.column, e.message])).toEqual([
      [2, 3, 'handoff: missing required key "id": add id: "HO-<FROM>-<TO>" (e.g. "HO-PM-ARCH")'],
      [2, 3, 'handoff: missing required key "from": add from: "<agent id>" or a list of agent ids (the agents that hand over)'],
    ]);
    expect(errorsOf('handoff:\n  id: HO-X\n  from: A\n')[0]?.message).toBe('handoff "HO-X": missing required key "to": add to: "<agent id>" or a list of agent ids (the agents that receive)');
  });

  it('reports unknown keys with a did-you-mean, at the key', () => {
    const errors = errorsOf('handoff:\n  id: HO-X\n  from: A\n  to: B\n  required_artifact:\n    - name: a.md\n');
    expect(errors).toEqual([
      {
        file: 'bad.yaml',
        line: 5,
        column: 3,
        message: 'unknown key "required_artifact" in handoff (did you mean "required_artifacts"?): allowed keys are id, from, to, required_artifacts, required_context, sla, description',
        text: 'required_artifact',
      },
    ]);
    expect(errorsOf('handof:\n  id: X\n')[0]?.message).toContain('unknown top-level key "handof" (did you mean "handoff"?)');
    expect(errorsOf('handoff:\n  id: HO-X\n  from: A\n  to: B\n  sla:\n    first_ouput: 4h\n')[0]).toMatchObject({ line: 6, column: 5, message: expect.stringContaining('unknown key "first_ouput" in sla (did you mean "first_output"?)') });
  });

  it('reports a rule that does not parse at the rule, listing the rule forms', () => {
    const text = 'handoff:\n  id: HO-X\n  from: A\n  to: B\n  required_artifacts:\n    - name: prd.md\n      validation:\n        - "problem_statement: present"\n        - "user_stories: mni 3"\n';
    const [e] = errorsOf(text);
    expect(e).toMatchObject({ line: 9, column: 11, text: '"user_stories: mni 3"' });
    expect(e?.message).toContain('handoff "HO-X": artifact prd.md: rule "user_stories: mni 3" is not understood: "mni 3" after "user_stories:" is not a check (did you mean "min 3"?); write one of: "<section>: present"');
  });

  it('reports bad durations and bad context requirements', () => {
    const text = 'handoff:\n  id: HO-X\n  from: A\n  to: B\n  required_context:\n    - "auth_changes: boolen"\n  sla:\n    acknowledgment: "30"\n    first_output: "4 fortnights"\n';
    expect(errorsOf(text).map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([
      '6:7 handoff "HO-X": context requirement "auth_changes: boolen" has unknown type "boolen" (did you mean "boolean"?): use boolean, array, string or number',
      '8:21 handoff "HO-X": sla.acknowledgment "30" has no unit (write e.g. "30s", "30m" or "30 hours")',
      '9:19 handoff "HO-X": sla.first_output "4 fortnights" has an unknown unit "fortnights" (use ms, s, m, h, d or w)',
    ]);
  });

  it('reports an empty file and duplicate ids within a file', () => {
    expect(errorsOf('# nothing here\n')[0]?.message).toContain('the file holds no handoff spec');
    const dup = 'handoff:\n  id: HO-A\n  from: A\n  to: B\n---\nhandoff:\n  id: HO-A\n  from: A\n  to: B\n';
    expect(errorsOf(dup)[0]?.message).toBe('handoff id "HO-A" appears twice in this file: give each spec its own id');
  });

  it("names every problem as file:line:col in the error's message", () => {
    expect(() => parseHandoffSpecs('handoff:\n  id: HO-X\n  from: A\n  to: B\n  sla: 4h\n', 'specs/x.yaml')).toThrow(
      'specs/x.yaml: 1 error in handoff spec\nspecs/x.yaml:5:8: handoff "HO-X": "sla" must be a mapping such as { acknowledgment: "30 minutes", first_output: "4 hours" }',
    );
  });
});
