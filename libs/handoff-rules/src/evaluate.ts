import type { RuleFailure } from '@baton/contracts';
import { artifactNamesMatch, findArtifact, type HandoffInput } from './artifact';
import type { HandoffSpec } from './handoff-spec';
import { checkContext } from './rules/context.rule';
import type { RuleRegistry } from './rules/rule-registry';
import { checkRule } from './rules/rule.evaluator';
import { parseRule } from './rules/rule.parser';

export { mediaTypeFor, toArtifactContent, type ArtifactContent, type HandoffInput } from './artifact';

/** The verdict's raw material: every failing rule, and how many rules were checked. */
export interface EvaluationResult {
  readonly failures: RuleFailure[];
  readonly rulesChecked: number;
}

/**
 * Checks one spec. A spec artifact the handoff lacks is a failure only if declaredOutputs is null
 * or includes its name (else it is not this stage's to deliver, and is skipped). Context
 * requirements are always checked.
 *
 * Each handed-over artifact counts one check for being there, plus one per rule; each context
 * requirement counts one. Failures carry source 'handoff' (artifacts) or 'context'.
 *
 * @example
 * const { failures } = evaluateSpec(catalog.get('HO-PM-ARCH')!, input, { declaredOutputs: ['prd.md'], registry: createDefaultRegistry() });
 */
export function evaluateSpec(spec: HandoffSpec, input: HandoffInput, options: { readonly declaredOutputs: readonly string[] | null; readonly registry: RuleRegistry }): EvaluationResult {
  const failures: RuleFailure[] = [];
  let rulesChecked = 0;
  for (const required of spec.artifacts) {
    const artifact = findArtifact(input.artifacts, required.name);
    if (artifact === undefined) {
      const owed = options.declaredOutputs === null || options.declaredOutputs.some((d) => artifactNamesMatch(d, required.name));
      if (!owed) continue;
      rulesChecked++;
      failures.push({
        source: 'handoff',
        specId: spec.id,
        artifact: required.name,
        rule: `required artifact ${required.name}`,
        message: `artifact ${required.name} was not handed over: include an artifact named "${required.name}" in the handoff (${spec.id} requires it${required.rules.length > 0 ? `, checked by ${required.rules.length} rule${required.rules.length === 1 ? '' : 's'}` : ''})`,
        missing: [required.name],
      });
      continue;
    }
    rulesChecked++;
    for (const rule of required.rules) {
      rulesChecked++;
      for (const p of checkRule(rule, { artifact, input, registry: options.registry })) {
        failures.push({ source: 'handoff', specId: spec.id, artifact: required.name, rule: rule.text, message: p.message, missing: [...p.missing] });
      }
    }
  }
  for (const req of spec.context) {
    rulesChecked++;
    const p = checkContext(req, input.context);
    if (p !== null) failures.push({ source: 'context', specId: spec.id, artifact: null, rule: req.text, message: p.message, missing: [...p.missing] });
  }
  return { failures, rulesChecked };
}

/**
 * Quality gates / criteria (strings as in a workflow stage): thresholds, built-ins, flags.
 * Failures carry source 'quality_gate' or 'criteria' and specId null.
 *
 * Each expression is checked against the whole handoff: thresholds and flags against the
 * reported outputs (then the artifacts), text checks (no_secrets, no_tbd_markers, …) against
 * every text artifact, OpenAPI checks against every OpenAPI document. An expression that does
 * not parse is a failure that says how to write it.
 *
 * @example
 * evaluateGates(['coverage >= 80%', 'all_p0_tests_pass'], 'quality_gate', input, registry);
 */
export function evaluateGates(expressions: readonly string[], source: 'quality_gate' | 'criteria', input: HandoffInput, registry: RuleRegistry): EvaluationResult {
  const failures: RuleFailure[] = [];
  for (const expression of expressions) {
    const parsed = parseRule(expression, { customRules: registry.ruleNames() });
    if (!parsed.ok) {
      failures.push({ source, specId: null, artifact: null, rule: expression, message: parsed.message, missing: [] });
      continue;
    }
    for (const p of checkRule(parsed.rule, { artifact: null, input, registry })) {
      failures.push({ source, specId: null, artifact: p.artifact ?? null, rule: expression, message: p.message, missing: [...p.missing] });
    }
  }
  return { failures, rulesChecked: expressions.length };
}

/**
 * A readable multi-line summary of failures, for CLI output and task feedback:
 *
 * ```text
 * 2 checks failed:
 * - HO-PM-ARCH prd.md "user_stories: min 3": section "User Stories" has 1 item; at least 3 are required: …
 *     missing: 2 more user stories
 * - quality gate "coverage >= 80%": coverage is 72% (outputs.coverage); it must be >= 80%: …
 * ```
 */
export function describeFailures(failures: readonly RuleFailure[]): string {
  if (failures.length === 0) return 'all checks passed';
  const lines = [`${failures.length} check${failures.length === 1 ? '' : 's'} failed:`];
  for (const f of failures) {
    const origin = f.specId !== null ? f.specId : f.source === 'quality_gate' ? 'quality gate' : f.source;
    const where = [origin, f.source === 'context' ? 'context' : null, f.artifact].filter((x): x is string => x !== null && x !== '').join(' ');
    lines.push(`- ${where} "${f.rule}": ${f.message}`);
    if (f.missing.length > 0) lines.push(`    missing: ${f.missing.join('; ')}`);
  }
  return lines.join('\n');
}
