import { evaluateSpec } from '../evaluate';
import type { HandoffSpec } from '../handoff-spec';
import { art, checkOne, gates, inputOf } from '../testing.helpers';
import { createDefaultRegistry } from './rule-registry';
import { parseContextRequirement } from './rule.parser';

describe('numeric threshold', () => {
  it('reads the value from outputs, taking percent strings and numbers as written', () => {
    expect(gates(['coverage >= 80%'], inputOf([], { outputs: { coverage: 85 } }))).toEqual([]);
    expect(gates(['coverage >= 80%'], inputOf([], { outputs: { coverage: '80.5 %' } }))).toEqual([]);
    expect(gates(['error_rate < 1%'], inputOf([], { outputs: { error_rate: 0.4 } }))).toEqual([]);
    expect(gates(['prd_completeness >= 100%'], inputOf([], { outputs: { prd_completeness: '100%' } }))).toEqual([]);
  });

  it('does not rescale fractions: 0.85 is 0.85, not 85%', () => {
    const [f] = gates(['coverage >= 80%'], inputOf([], { outputs: { coverage: 0.85 } }));
    expect(f?.message).toBe('coverage is 0.85% (outputs.coverage); it must be >= 80%: improve it, then report the new value');
    expect(f?.missing).toEqual(['coverage >= 80% (reported 0.85%)']);
  });

  it('finds loosely named and nested outputs (coverage → code_coverage, coverage_percent, metrics.coverage, gates.coverage)', () => {
    for (const outputs of [{ code_coverage: 90 }, { coverage_percent: 90 }, { metrics: { coverage: 90 } }, { gates: { coverage: '90%' } }]) {
      expect(gates(['coverage >= 80%'], inputOf([], { outputs }))).toEqual([]);
    }
    expect(gates(['code_coverage >= 80%'], inputOf([], { outputs: { coverage: 90 } }))).toEqual([]);
  });

  it('supports every operator', () => {
    const out = inputOf([], { outputs: { n: 5 } });
    expect(gates(['n >= 5', 'n > 4', 'n <= 5', 'n < 6', 'n == 5', 'n != 4'], out)).toEqual([]);
    expect(gates(['n >= 6', 'n > 5', 'n <= 4', 'n < 5', 'n == 4', 'n != 5'], out)).toHaveLength(6);
  });

  it('falls back to a JSON/YAML artifact field, then to text such as "Coverage 85.2 %"', () => {
    expect(gates(['coverage >= 80%'], inputOf([art('report.json', '{"coverage": 91}')]))).toEqual([]);
    expect(gates(['coverage >= 80%'], inputOf([art('test_results.md', '# Results\n\n- Coverage 85.2 %\n')]))).toEqual([]);
    expect(gates(['code_coverage >= 80%'], inputOf([art('test_results.md', '| Metric | Value |\n| Code coverage | 85% |\n')]))).toEqual([]);
    const [f] = gates(['coverage >= 80%'], inputOf([art('test_results.md', 'coverage: 61%\n')]));
    expect(f).toMatchObject({ artifact: 'test_results.md', missing: ['coverage >= 80% (reported 61%)'] });
    expect(f?.message).toContain('coverage is 61% (test_results.md line 1)');
  });

  it('on a spec artifact, reads outputs first, then that artifact', () => {
    expect(checkOne('code_coverage >= 80%', 'code_changes', '+ x()\n', { outputs: { code_coverage: 86 } })).toEqual([]);
    expect(checkOne('code_coverage >= 80%', 'code_changes', '# coverage: 86%\n+ x()\n')).toEqual([]);
    const [f] = checkOne('code_coverage >= 80%', 'code_changes', '+ x()\n', { outputs: { code_coverage: 70 } });
    expect(f).toMatchObject({ artifact: 'code_changes', rule: 'code_coverage >= 80%', missing: ['code_coverage >= 80% (reported 70%)'] });
  });

  it('fails when no value was reported, saying what to report', () => {
    const [f] = gates(['coverage >= 80%'], inputOf([]));
    expect(f?.message).toContain('no value for coverage was reported: report outputs.coverage (a number)');
    expect(f?.missing).toEqual(['outputs.coverage']);
  });

  it('fails when the value is not a number', () => {
    const [f] = gates(['coverage >= 80%'], inputOf([], { outputs: { coverage: 'high' } }));
    expect(f?.message).toBe('coverage was reported as the string "high" (outputs.coverage), not a number: report a number such as 85 or "85%"');
  });
});

describe('boolean flags', () => {
  it('passes when outputs, outputs.gates or outputs.checks report true', () => {
    expect(gates(['tests_passing'], inputOf([], { outputs: { tests_passing: true } }))).toEqual([]);
    expect(gates(['tests_passing'], inputOf([], { outputs: { gates: { tests_passing: true } } }))).toEqual([]);
    expect(gates(['tests_passing'], inputOf([], { outputs: { checks: { tests_passing: 'passed' } } }))).toEqual([]);
  });

  it("passes when the rule's artifact carries the field", () => {
    expect(checkOne('tests_passing', 'pull_request', '{"tests_passing": true}')).toEqual([]);
  });

  it('fails when the flag is false, naming where it was read', () => {
    const [f] = checkOne('lint_passing', 'pull_request', '{"lint_passing": false}');
    expect(f).toMatchObject({ rule: 'lint_passing', artifact: 'pull_request', missing: ['lint_passing'] });
    expect(f?.message).toContain('lint_passing is false (pull_request field "lint_passing")');
  });

  it('fails when the flag was not reported', () => {
    const [f] = gates(['tests_passing'], inputOf([]));
    expect(f).toMatchObject({ source: 'quality_gate', artifact: null, missing: ['outputs.tests_passing'] });
    expect(f?.message).toBe('tests_passing was not reported: report outputs.tests_passing = true when it holds');
    expect(checkOne('no_merge_conflicts', 'pull_request', '{}')[0]?.message).toBe('no_merge_conflicts was not reported: report outputs.no_merge_conflicts = true when it holds (or set "no_merge_conflicts": true in pull_request)');
  });

  it('as a gate, reads a JSON/YAML artifact field too', () => {
    expect(gates(['all_states_designed'], inputOf([art('designs/', '{"all_states_designed": true}')]))).toEqual([]);
  });
});

describe('no_critical_vulnerabilities', () => {
  it('passes when findings have no critical severity (or are empty)', () => {
    expect(gates(['no_critical_vulnerabilities'], inputOf([], { outputs: { findings: [{ severity: 'high', title: 'XSS' }] } }))).toEqual([]);
    expect(gates(['no_critical_vulnerabilities'], inputOf([], { outputs: { findings: [] } }))).toEqual([]);
  });

  it('lists the critical findings by title, from outputs or a scan artifact', () => {
    const findings = [
      { severity: 'CRITICAL', title: 'SQL injection in /search' },
      { severity: 'low', title: 'Verbose errors' },
      { severity: 'critical', id: 'CVE-2024-0001' },
    ];
    const [f] = gates(['no_critical_vulnerabilities'], inputOf([], { outputs: { findings } }));
    expect(f?.missing).toEqual(['SQL injection in /search', 'CVE-2024-0001']);
    expect(f?.message).toContain('2 critical findings (outputs.findings)');
    const [g] = gates(['no_critical_vulnerabilities'], inputOf([art('scan.json', JSON.stringify({ findings }))]));
    expect(g).toMatchObject({ artifact: 'scan.json', missing: ['SQL injection in /search', 'CVE-2024-0001'] });
  });

  it('accepts a reported flag when no findings were reported, and fails when neither was', () => {
    expect(gates(['no_critical_vulnerabilities'], inputOf([], { outputs: { no_critical_vulnerabilities: true } }))).toEqual([]);
    const [f] = gates(['no_critical_vulnerabilities'], inputOf([]));
    expect(f?.missing).toEqual(['outputs.findings']);
    expect(f?.message).toContain('no scan findings were reported: report outputs.findings');
  });
});

describe('required context', () => {
  const spec = (context: string[]): HandoffSpec => ({
    id: 'HO-CTX',
    from: ['A'],
    to: ['B'],
    artifacts: [],
    context: context.map((c) => {
      const p = parseContextRequirement(c);
      if (!p.ok) throw new Error(p.message);
      return p.requirement;
    }),
    sla: { acknowledgmentMs: null, firstOutputMs: null },
    source: 't.yaml',
  });
  const run = (context: Record<string, unknown>) => evaluateSpec(spec(['priority_level', 'changed_files[]', 'auth_changes: boolean']), inputOf([], { context }), { declaredOutputs: null, registry: createDefaultRegistry() });

  it('passes when every key is present with the right type', () => {
    const r = run({ priority_level: 'P1', changed_files: [], auth_changes: false });
    expect(r).toEqual({ failures: [], rulesChecked: 3 });
  });

  it('fails for missing, empty and mistyped values, saying what to pass', () => {
    const { failures } = run({ priority_level: '  ', changed_files: 'a.ts', auth_changes: 'yes' });
    expect(failures.map((f) => [f.source, f.specId, f.artifact, f.rule])).toEqual([
      ['context', 'HO-CTX', null, 'priority_level'],
      ['context', 'HO-CTX', null, 'changed_files[]'],
      ['context', 'HO-CTX', null, 'auth_changes: boolean'],
    ]);
    expect(failures[0]?.message).toBe('context priority_level is empty (the string ""): pass context.priority_level with a non-empty value');
    expect(failures[1]?.message).toBe('context changed_files must be a list, empty when there are none (got the string "a.ts"): pass context.changed_files as a list, empty when there are none');
    expect(failures[2]).toMatchObject({ message: 'context auth_changes must be true or false (got the string "yes"): pass context.auth_changes as true or false', missing: ['context.auth_changes (boolean)'] });
    const missing = run({}).failures;
    expect(missing[0]).toMatchObject({ message: 'context priority_level is missing: pass context.priority_level (a non-empty value) with the handoff', missing: ['context.priority_level'] });
  });
});
