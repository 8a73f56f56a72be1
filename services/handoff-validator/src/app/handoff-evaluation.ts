import type { TaskChecks } from '@baton/contracts';
import { evaluateGates, evaluateSpec, type HandoffInput, type HandoffSpec, type RuleRegistry } from '@baton/handoff-rules';
import type { HandoffEvaluation } from '../domain';

/**
 * Runs every check of a handoff: each spec that applies (with the stage's declared outputs), then
 * the stage's quality gates and criteria. Collects every failure (nothing stops at the first) and
 * the number of rules checked.
 */
export function evaluateHandoff(specs: readonly HandoffSpec[], input: HandoffInput, checks: TaskChecks, registry: RuleRegistry): HandoffEvaluation {
  const results = [
    ...specs.map((spec) => evaluateSpec(spec, input, { declaredOutputs: checks.declaredOutputs, registry })),
    ...(checks.qualityGate.length > 0 ? [evaluateGates(checks.qualityGate, 'quality_gate', input, registry)] : []),
    ...(checks.criteria.length > 0 ? [evaluateGates(checks.criteria, 'criteria', input, registry)] : []),
  ];
  return {
    failures: results.flatMap((r) => r.failures),
    rulesChecked: results.reduce((n, r) => n + r.rulesChecked, 0),
  };
}
