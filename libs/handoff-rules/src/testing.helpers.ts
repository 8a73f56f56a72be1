import { createDefaultRegistry, type RuleRegistry } from './rules/rule-registry';
import { parseRule } from './rules/rule.parser';
import { toArtifactContent, type ArtifactContent, type HandoffInput } from './artifact';
import { evaluateGates, evaluateSpec } from './evaluate';
import type { HandoffSpec } from './handoff-spec';
import type { RuleFailure } from '@baton/contracts';

/** Test support (not exported from the index): build artifacts and run single rules. */

export function art(name: string, text: string, mediaType?: string): ArtifactContent {
  return toArtifactContent(name, new TextEncoder().encode(text), mediaType);
}

export function inputOf(artifacts: readonly ArtifactContent[], extra: { context?: Record<string, unknown>; outputs?: Record<string, unknown> } = {}): HandoffInput {
  return { artifacts, context: extra.context ?? {}, outputs: extra.outputs ?? {} };
}

/** A spec with one artifact and the given rules (as strings or YAML-like maps). */
export function specWith(artifact: string, rules: readonly unknown[], registry?: RuleRegistry): HandoffSpec {
  return {
    id: 'HO-TEST',
    from: ['MCT-A-001'],
    to: ['MCT-B-001'],
    artifacts: [
      {
        name: artifact,
        rules: rules.map((r) => {
          const parsed = parseRule(r, { customRules: registry?.ruleNames() ?? [] });
          if (!parsed.ok) throw new Error(parsed.message);
          return parsed.rule;
        }),
      },
    ],
    context: [],
    sla: { acknowledgmentMs: null, firstOutputMs: null },
    source: 'test.yaml',
  };
}

/** Runs one rule on one artifact (named `name`, holding `text`) and returns the failures. */
export function checkOne(rule: unknown, name: string, text: string, extra: { context?: Record<string, unknown>; outputs?: Record<string, unknown>; registry?: RuleRegistry; mediaType?: string } = {}): RuleFailure[] {
  const registry = extra.registry ?? createDefaultRegistry();
  return evaluateSpec(specWith(name, [rule], registry), inputOf([art(name, text, extra.mediaType)], extra), { declaredOutputs: null, registry }).failures;
}

/** Runs gate expressions against a handoff and returns the failures. */
export function gates(expressions: readonly string[], input: HandoffInput, registry: RuleRegistry = createDefaultRegistry()): RuleFailure[] {
  return evaluateGates(expressions, 'quality_gate', input, registry).failures;
}
