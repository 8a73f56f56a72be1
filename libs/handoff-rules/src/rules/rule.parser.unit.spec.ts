import { parseContextRequirement, parseRule } from './rule.parser';

const ok = (input: unknown, customRules: string[] = []) => {
  const r = parseRule(input, { customRules });
  if (!r.ok) throw new Error(r.message);
  return r.rule;
};
const error = (input: unknown): string => {
  const r = parseRule(input);
  if (r.ok) throw new Error(`expected "${String(input)}" not to parse`);
  return r.message;
};

describe('parseRule', () => {
  it('parses every form', () => {
    expect(ok('problem_statement: present')).toMatchObject({ kind: 'present', key: 'problem_statement', name: 'problem_statement', args: 'present' });
    expect(ok('user_stories: min 3')).toMatchObject({ kind: 'min_count', key: 'user_stories', min: 3 });
    expect(ok('responsive_variants: 3')).toMatchObject({ kind: 'min_count', min: 3 });
    expect(ok('acceptance_criteria: present for each story')).toMatchObject({ kind: 'present_for_each', key: 'acceptance_criteria', each: 'story' });
    expect(ok('component_specs: complete')).toMatchObject({ kind: 'complete', key: 'component_specs' });
    expect(ok('no_tbd_markers')).toMatchObject({ kind: 'no_tbd_markers', name: 'no_tbd_markers', args: null });
    expect(ok('code_coverage >= 80%')).toMatchObject({ kind: 'threshold', key: 'code_coverage', op: '>=', value: 80, percent: true, name: null });
    expect(ok('error_rate < 1%')).toMatchObject({ kind: 'threshold', op: '<', value: 1 });
    expect(ok('latency_ms<=250')).toMatchObject({ kind: 'threshold', op: '<=', value: 250, percent: false });
    expect(ok('valid_json')).toMatchObject({ kind: 'parses_as', format: 'json' });
    expect(ok('parses_as_yaml')).toMatchObject({ kind: 'parses_as', format: 'yaml' });
    expect(ok('openapi_3.0_valid')).toMatchObject({ kind: 'openapi_valid', version: '3.0' });
    expect(ok('openapi_valid')).toMatchObject({ kind: 'openapi_valid', version: '3' });
    expect(ok('all_endpoints_documented')).toMatchObject({ kind: 'all_endpoints_documented' });
    expect(ok('error_responses_defined')).toMatchObject({ kind: 'error_responses_defined' });
    expect(ok('matches: /^# .+/m')).toMatchObject({ kind: 'matches', pattern: '^# .+', flags: 'm' });
    expect(ok('not_matches: /console\\.log/')).toMatchObject({ kind: 'not_matches', pattern: 'console\\.log', flags: '' });
    expect(ok('schema: ticket')).toMatchObject({ kind: 'json_schema', schema: null, schemaName: 'ticket' });
    expect(ok({ schema: { type: 'object' } })).toMatchObject({ kind: 'json_schema', schema: { type: 'object' }, schemaName: null, text: 'schema: {"type":"object"}' });
    expect(ok('no_secrets_exposed')).toMatchObject({ kind: 'no_secrets' });
    expect(ok('no_console_logs')).toMatchObject({ kind: 'no_console_logs' });
    expect(ok('no_ambiguous_terms')).toMatchObject({ kind: 'no_ambiguous_terms' });
    expect(ok('no_critical_vulnerabilities')).toMatchObject({ kind: 'no_critical_vulnerabilities' });
    expect(ok('tests_passing')).toMatchObject({ kind: 'flag', name: 'tests_passing' });
    expect(ok('reviewers: two seniors', ['reviewers'])).toMatchObject({ kind: 'custom', name: 'reviewers', args: 'two seniors' });
  });

  it('reads unquoted YAML maps (- user_stories: min 3) as the same rule', () => {
    expect(ok({ user_stories: 'min 3' })).toMatchObject({ kind: 'min_count', text: 'user_stories: min 3' });
    expect(ok({ responsive_variants: 3 })).toMatchObject({ kind: 'min_count', min: 3 });
  });

  it('explains what is wrong and how to write it', () => {
    expect(error('user_stories: mni 3')).toMatch(/^rule "user_stories: mni 3" is not understood: "mni 3" after "user_stories:" is not a check \(did you mean "min 3"\?\); write one of: /);
    expect(ok('acceptance_criteria: present for all stories')).toMatchObject({ kind: 'present_for_each', each: 'stories' });
    expect(error('acceptance_criteria: present in stories')).toContain('write "acceptance_criteria: present for each <item>"');
    expect(error('coverage => 80%')).toContain('"=>" is not an operator: write "coverage >= 80%"');
    expect(error('response_time < 5 seconds')).toContain('units other than % are not supported');
    expect(error('tests passing')).toContain('write "tests_passing"');
    expect(error('matches: console.log')).toContain('write the pattern between slashes');
    expect(error('matches: /(/')).toContain('not a valid regular expression');
    expect(error('user_stories: min 0')).toContain('at least 1');
    expect(error({ schema: { type: 'objekt' } })).toContain('has an invalid JSON Schema');
    expect(error('')).toContain('a rule is empty');
    expect(error(null)).toContain('a rule must be a string');
  });
});

describe('parseContextRequirement', () => {
  it('parses keys, list keys and typed keys', () => {
    expect(parseContextRequirement('priority_level')).toEqual({ ok: true, requirement: { key: 'priority_level', type: 'any', text: 'priority_level' } });
    expect(parseContextRequirement('changed_files[]')).toEqual({ ok: true, requirement: { key: 'changed_files', type: 'array', text: 'changed_files[]' } });
    expect(parseContextRequirement('auth_changes: boolean')).toEqual({ ok: true, requirement: { key: 'auth_changes', type: 'boolean', text: 'auth_changes: boolean' } });
    expect(parseContextRequirement({ budget: 'number' })).toMatchObject({ ok: true, requirement: { key: 'budget', type: 'number' } });
  });

  it('rejects unknown types with a hint', () => {
    expect(parseContextRequirement('auth_changes: booleen')).toEqual({ ok: false, message: 'context requirement "auth_changes: booleen" has unknown type "booleen" (did you mean "boolean"?): use boolean, array, string or number' });
    expect(parseContextRequirement('auth_changes: bool')).toMatchObject({ ok: true, requirement: { type: 'boolean' } });
    expect(parseContextRequirement('x[]: boolean')).toMatchObject({ ok: false });
  });
});
