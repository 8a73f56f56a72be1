// An example custom-rule plug-in for the handoff-validator (HANDOFF_RULE_MODULES): a module that
// exports `register(registry)`. Its rules can then be named in specs and quality gates like the
// built-in ones, e.g. `validation: ["no_lorem_ipsum"]` or `quality_gate: ["no_lorem_ipsum"]`.
import type { RuleRegistry } from '@baton/handoff-rules';

export function register(registry: RuleRegistry): void {
  registry.register('no_lorem_ipsum', (ctx) => {
    const artifacts = ctx.artifact !== null ? [ctx.artifact] : ctx.input.artifacts;
    const offenders = artifacts.filter((a) => a.text !== null && /lorem ipsum/i.test(a.text)).map((a) => a.name);
    return offenders.length === 0 ? { ok: true } : { ok: false, message: `placeholder text (lorem ipsum) in ${offenders.join(', ')}`, missing: offenders.map((n) => `real text in ${n}`) };
  });
}
