import { join } from 'node:path';
import { RuleFailure } from '@baton/contracts';
import { describeFailures, evaluateGates, evaluateSpec, mediaTypeFor, toArtifactContent } from './evaluate';
import { loadHandoffCatalog } from './handoff-catalog.loader';
import type { HandoffCatalog } from './handoff-catalog';
import type { HandoffSpec } from './handoff-spec';
import { createDefaultRegistry } from './rules/rule-registry';
import { sampleArtifacts, sampleContext, sampleHandoffInput, sampleOutputs } from './samples';
import { art, inputOf } from './testing.helpers';

const registry = createDefaultRegistry();
let catalog: HandoffCatalog;
let pmArch: HandoffSpec;

beforeAll(async () => {
  catalog = await loadHandoffCatalog(join(__dirname, '../../../examples/handoffs'));
  pmArch = catalog.get('HO-PM-ARCH') as HandoffSpec;
});

const PM_CONTEXT = { priority_level: 'P1', deadline: '2026-03-31', dependencies: ['billing-service'] };

/** The sample PRD with one `## ` section removed. */
function prdWithout(heading: string): string {
  return sampleArtifacts['prd.md'].replace(new RegExp(`## ${heading}\\n[\\s\\S]*?(?=\\n## )`), '');
}

describe('evaluateSpec with HO-PM-ARCH', () => {
  it("accepts a good PRD against the prd.md rules when the stage declares only prd.md", () => {
    const result = evaluateSpec(pmArch, inputOf([art('prd.md', sampleArtifacts['prd.md'])], { context: PM_CONTEXT }), { declaredOutputs: ['prd.md'], registry });
    expect(result).toEqual({ failures: [], rulesChecked: 1 + 5 + 3 });
  });

  it('rejects the same PRD without its user stories section, naming user stories', () => {
    const prd = prdWithout('User Stories');
    expect(prd).not.toContain('User Stories');
    const { failures } = evaluateSpec(pmArch, inputOf([art('prd.md', prd)], { context: PM_CONTEXT }), { declaredOutputs: ['prd.md'], registry });
    expect(failures.map((f) => f.rule)).toEqual(['user_stories: min 3', 'acceptance_criteria: present for each story']);
    expect(failures[0]).toEqual({
      source: 'handoff',
      specId: 'HO-PM-ARCH',
      artifact: 'prd.md',
      rule: 'user_stories: min 3',
      message: 'section "User Stories" is missing from prd.md: add a "## User Stories" section with at least 3 items (list entries or sub-headings)',
      missing: ['section "User Stories"'],
    });
    expect(failures.flatMap((f) => f.missing).join(' ')).toMatch(/User Stories/);
  });

  it('rejects a PRD with too few stories, a story without criteria, and a TBD', () => {
    const prd = sampleArtifacts['prd.md'].replace(/### Story 3[\s\S]*?(?=## Out of Scope)/, '').replace(/(### Story 2[^\n]*\n)[\s\S]*?(?=### |## )/, '$1\nDuring a migration. Owner TBD.\n\n');
    const { failures } = evaluateSpec(pmArch, inputOf([art('prd.md', prd)], { context: PM_CONTEXT }), { declaredOutputs: ['prd.md'], registry });
    expect(failures.map((f) => [f.rule, f.missing])).toEqual([
      ['user_stories: min 3', ['1 more user story']],
      ['acceptance_criteria: present for each story', ['acceptance criteria for story "As an admin, I can pause and resume a s…"']],
      ['no_tbd_markers', [expect.stringMatching(/^line \d+: "TBD"$/)]],
    ]);
  });

  it('fails a declared artifact that was not handed over, and skips an undeclared one', () => {
    const input = inputOf([art('prd.md', sampleArtifacts['prd.md'])], { context: PM_CONTEXT });
    const all = evaluateSpec(pmArch, input, { declaredOutputs: null, registry });
    expect(all.failures).toEqual([
      {
        source: 'handoff',
        specId: 'HO-PM-ARCH',
        artifact: 'designs/',
        rule: 'required artifact designs/',
        message: 'artifact designs/ was not handed over: include an artifact named "designs/" in the handoff (HO-PM-ARCH requires it, checked by 2 rules)',
        missing: ['designs/'],
      },
    ]);
    expect(all.rulesChecked).toBe(1 + 5 + 1 + 3);
    expect(evaluateSpec(pmArch, input, { declaredOutputs: ['designs'], registry }).failures.map((f) => f.artifact)).toEqual(['designs/']);
    expect(evaluateSpec(pmArch, input, { declaredOutputs: ['prd.md', 'design_specs.md'], registry }).failures).toEqual([]);
  });

  it('checks an undeclared artifact that was handed over anyway', () => {
    const input = inputOf([art('prd.md', sampleArtifacts['prd.md']), art('designs/', '{"responsive_variants": ["mobile"]}')], { context: PM_CONTEXT });
    const { failures } = evaluateSpec(pmArch, input, { declaredOutputs: ['prd.md'], registry });
    expect(failures.map((f) => f.rule)).toEqual(['responsive_variants: 3', 'all_states_designed']);
  });

  it('matches artifact names exactly, case-insensitively, or ignoring a trailing [] or /', () => {
    const input = inputOf([art('PRD.md', sampleArtifacts['prd.md']), art('designs', sampleArtifacts['designs/'], 'application/json')], { context: PM_CONTEXT });
    expect(evaluateSpec(pmArch, input, { declaredOutputs: null, registry }).failures).toEqual([]);
    const dev = catalog.get('HO-ARCH-DEV') as HandoffSpec;
    const tickets = inputOf([art('tdd.md', sampleArtifacts['tdd.md']), art('api_spec.yaml', sampleArtifacts['api_spec.yaml']), art('linear_tickets', sampleArtifacts['linear_tickets[]'])], { context: sampleContext, outputs: sampleOutputs });
    expect(evaluateSpec(dev, tickets, { declaredOutputs: null, registry }).failures).toEqual([]);
  });

  it('always checks context, and its failures fit the wire contract', () => {
    const { failures } = evaluateSpec(pmArch, inputOf([]), { declaredOutputs: [], registry });
    expect(failures.map((f) => [f.source, f.rule])).toEqual([
      ['context', 'priority_level'],
      ['context', 'deadline'],
      ['context', 'dependencies'],
    ]);
    for (const f of failures) expect(RuleFailure.parse(f)).toEqual(f);
  });
});

describe('the sample artifacts', () => {
  it('satisfy all three seed specs', () => {
    for (const spec of catalog.specs) {
      const result = evaluateSpec(spec, sampleHandoffInput(), { declaredOutputs: null, registry });
      expect({ id: spec.id, failures: result.failures }).toEqual({ id: spec.id, failures: [] });
      expect(result.rulesChecked).toBeGreaterThan(spec.context.length);
    }
  });

  it("satisfy every quality gate and criterion of seed 000's Feature Development workflow", () => {
    const stageGates = [
      ['prd_completeness >= 100%', 'no_ambiguous_terms'],
      ['responsive_complete', 'all_states_designed'],
      ['openapi_valid', 'diagrams_render'],
      ['all_p0_tests_pass', 'coverage >= 80%'],
      ['smoke_tests_pass', 'no_regressions'],
    ];
    for (const expressions of stageGates) expect(evaluateGates(expressions, 'quality_gate', sampleHandoffInput(), registry)).toEqual({ failures: [], rulesChecked: 2 });
    const criteria = ['no_critical_vulnerabilities', 'no_secrets_exposed', 'auth_review_passed'];
    expect(evaluateGates(criteria, 'criteria', sampleHandoffInput(), registry)).toEqual({ failures: [], rulesChecked: 3 });
  });
});

describe('evaluateGates', () => {
  it('stamps failures with the source and no spec id, and names the artifact when one is at fault', () => {
    const input = inputOf([art('prd.md', 'Scope: exports, imports, etc.\n')], { outputs: { prd_completeness: 90 } });
    const { failures, rulesChecked } = evaluateGates(['prd_completeness >= 100%', 'no_ambiguous_terms'], 'quality_gate', input, registry);
    expect(rulesChecked).toBe(2);
    expect(failures).toEqual([
      {
        source: 'quality_gate',
        specId: null,
        artifact: null,
        rule: 'prd_completeness >= 100%',
        message: 'prd_completeness is 90% (outputs.prd_completeness); it must be >= 100%: improve it, then report the new value',
        missing: ['prd_completeness >= 100% (reported 90%)'],
      },
      expect.objectContaining({ source: 'quality_gate', specId: null, artifact: 'prd.md', rule: 'no_ambiguous_terms', missing: ['line 1: "etc."'] }),
    ]);
    for (const f of failures) expect(RuleFailure.parse(f)).toEqual(f);
  });

  it('turns an unparseable expression into a failure that says how to write it', () => {
    const { failures } = evaluateGates(['coverage => 80%', 'all p0 tests pass'], 'criteria', inputOf([]), registry);
    expect(failures.map((f) => [f.source, f.rule, f.message.split(':')[0]])).toEqual([
      ['criteria', 'coverage => 80%', 'rule "coverage => 80%" is not understood'],
      ['criteria', 'all p0 tests pass', 'rule "all p0 tests pass" is not understood'],
    ]);
    expect(failures[0]?.message).toContain('write "coverage >= 80%"');
    expect(failures[1]?.message).toContain('write "all_p0_tests_pass"');
  });

  it('applies section rules to whichever artifact has the section', () => {
    const input = inputOf([art('notes.md', '# Notes'), art('prd.md', sampleArtifacts['prd.md'])]);
    expect(evaluateGates(['user_stories: min 3'], 'quality_gate', input, registry).failures).toEqual([]);
    const [f] = evaluateGates(['user_stories: min 4'], 'quality_gate', input, registry).failures;
    expect(f).toMatchObject({ artifact: 'notes.md', missing: ['section "User Stories"'] });
  });
});

describe('describeFailures', () => {
  it('summarises failures one per line with their missing items', () => {
    const text = describeFailures([
      { source: 'handoff', specId: 'HO-PM-ARCH', artifact: 'prd.md', rule: 'user_stories: min 3', message: 'section "User Stories" has 1 item; at least 3 are required', missing: ['2 more user stories'] },
      { source: 'context', specId: 'HO-PM-ARCH', artifact: null, rule: 'deadline', message: 'context deadline is missing', missing: [] },
      { source: 'quality_gate', specId: null, artifact: null, rule: 'coverage >= 80%', message: 'coverage is 72%', missing: ['coverage >= 80% (reported 72%)'] },
    ]);
    expect(text).toBe(
      [
        '3 checks failed:',
        '- HO-PM-ARCH prd.md "user_stories: min 3": section "User Stories" has 1 item; at least 3 are required',
        '    missing: 2 more user stories',
        '- HO-PM-ARCH context "deadline": context deadline is missing',
        '- quality gate "coverage >= 80%": coverage is 72%',
        '    missing: coverage >= 80% (reported 72%)',
      ].join('\n'),
    );
    expect(describeFailures([])).toBe('all checks passed');
  });
});

describe('mediaTypeFor / toArtifactContent', () => {
  it('guesses media types from names', () => {
    expect(['prd.md', 'api_spec.yaml', 'ci.yml', 'data.json', 'linear_tickets[]', 'designs/', 'code_changes', 'README.MD'].map(mediaTypeFor)).toEqual([
      'text/markdown',
      'application/yaml',
      'application/yaml',
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      'text/markdown',
    ]);
  });

  it('decodes UTF-8 text and marks binary content as null text', () => {
    const text = toArtifactContent('prd.md', new TextEncoder().encode('# Ünïcode'));
    expect(text).toMatchObject({ name: 'prd.md', mediaType: 'text/markdown', text: '# Ünïcode' });
    expect(toArtifactContent('logo.png', new Uint8Array([0x89, 0x50, 0x00, 0x47])).text).toBeNull();
    expect(toArtifactContent('blob', new Uint8Array([0xff, 0xfe, 0xfd])).text).toBeNull();
    expect(toArtifactContent('pull_request', new TextEncoder().encode('{}'), 'application/json').mediaType).toBe('application/json');
  });

  it('reports a binary artifact where a rule needs text', () => {
    const spec: HandoffSpec = { ...pmArch, artifacts: [{ name: 'prd.md', rules: pmArch.artifacts[0]?.rules.slice(0, 1) ?? [] }], context: [] };
    const { failures } = evaluateSpec(spec, inputOf([toArtifactContent('prd.md', new Uint8Array([0, 1, 2]))]), { declaredOutputs: null, registry });
    expect(failures[0]?.message).toBe('prd.md is binary, but "problem_statement: present" reads text: hand it over as UTF-8 text (markdown, JSON or YAML)');
  });
});
