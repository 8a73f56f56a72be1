import { evaluateGates } from '../evaluate';
import { art, checkOne, inputOf } from '../testing.helpers';
import { createDefaultRegistry, type CustomRuleContext } from './rule-registry';

describe('RuleRegistry (custom rules)', () => {
  it('runs a registered rule for a bare identifier, with the artifact, input, args and rule text', () => {
    const seen: CustomRuleContext[] = [];
    const registry = createDefaultRegistry().register('has_owner', (ctx) => {
      seen.push(ctx);
      return ctx.artifact?.text?.includes('Owner:') ? { ok: true } : { ok: false, message: 'no owner line: add "Owner: <name>"', missing: ['owner'] };
    });
    expect(checkOne('has_owner', 'prd.md', 'Owner: Ann', { registry })).toEqual([]);
    const [f] = checkOne('has_owner', 'prd.md', 'nobody', { registry, context: { priority_level: 'P1' } });
    expect(f).toMatchObject({ source: 'handoff', rule: 'has_owner', artifact: 'prd.md', message: 'no owner line: add "Owner: <name>"', missing: ['owner'] });
    expect(seen[1]).toMatchObject({ args: null, ruleText: 'has_owner', input: { context: { priority_level: 'P1' } } });
    expect(seen[1]?.artifact?.name).toBe('prd.md');
  });

  it('passes arguments to a rule written "name: args", and runs it with a null artifact as a gate', () => {
    const registry = createDefaultRegistry().register('min_reviewers', ({ args, input, artifact }) => {
      const need = Number(args);
      const have = Array.isArray(input.outputs['reviewers']) ? input.outputs['reviewers'].length : 0;
      expect(artifact).toBeNull();
      return have >= need ? { ok: true } : { ok: false, message: `${have} reviewers; ${need} needed` };
    });
    const pass = evaluateGates(['min_reviewers: 2'], 'criteria', inputOf([], { outputs: { reviewers: ['a', 'b'] } }), registry);
    expect(pass).toEqual({ failures: [], rulesChecked: 1 });
    const fail = evaluateGates(['min_reviewers: 2'], 'criteria', inputOf([], { outputs: { reviewers: ['a'] } }), registry);
    expect(fail.failures).toEqual([{ source: 'criteria', specId: null, artifact: null, rule: 'min_reviewers: 2', message: '1 reviewers; 2 needed', missing: [] }]);
  });

  it('takes precedence over a built-in check and over a reported flag of the same name', () => {
    const registry = createDefaultRegistry()
      .register('no_tbd_markers', () => ({ ok: true }))
      .register('tests_passing', ({ input }) => (input.outputs['ci'] === 'green' ? { ok: true } : { ok: false, message: 'CI is not green: rerun the pipeline' }));
    expect(checkOne('no_tbd_markers', 'prd.md', 'TBD', { registry })).toEqual([]);
    expect(evaluateGates(['tests_passing'], 'quality_gate', inputOf([], { outputs: { tests_passing: true } }), registry).failures[0]?.message).toBe('CI is not green: rerun the pipeline');
  });

  it('reports a rule that throws or returns garbage as a failure', () => {
    const registry = createDefaultRegistry()
      .register('boom', () => {
        throw new Error('kaput');
      })
      .register('garbage', () => 'yes' as never)
      .register('silent', () => ({ ok: false, message: '' }));
    const { failures } = evaluateGates(['boom', 'garbage', 'silent'], 'quality_gate', inputOf([art('a.md', 'x')]), registry);
    expect(failures.map((f) => f.message)).toEqual([
      'custom rule "boom" threw (kaput): make it return { ok: false, message } instead of throwing',
      'custom rule "garbage" returned "yes": it must return { ok: true } or { ok: false, message, missing? }',
      'custom rule "silent" failed without saying why: return { ok: false, message } with a message that says what to fix',
    ]);
  });

  it('refuses a name registered twice, a reserved name, a bad name and a bad schema', () => {
    const registry = createDefaultRegistry().register('x', () => ({ ok: true }));
    expect(() => registry.register('x', () => ({ ok: true }))).toThrow(expect.objectContaining({ code: 'DUPLICATE', message: expect.stringContaining('custom rule "x" is already registered') }));
    expect(() => registry.register('schema', () => ({ ok: true }))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => registry.register('two words', () => ({ ok: true }))).toThrow(/is not an identifier/);
    registry.registerSchema('s', { type: 'object' });
    expect(() => registry.registerSchema('s', { type: 'object' })).toThrow(expect.objectContaining({ code: 'DUPLICATE' }));
    expect(() => registry.registerSchema('bad', { type: 'objekt' })).toThrow(/schema "bad" is not a valid JSON Schema/);
    expect(registry.ruleNames()).toEqual(['x']);
    expect(registry.schemaNames()).toEqual(['s']);
  });

  it('a default registry has nothing custom', () => {
    const registry = createDefaultRegistry();
    expect([registry.ruleNames(), registry.schemaNames()]).toEqual([[], []]);
  });
});
