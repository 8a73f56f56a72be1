import { performance } from 'node:perf_hooks';
import type { TaskChecks } from '@baton/contracts';
import { evaluateGates, evaluateSpec, sampleHandoffInput, type HandoffInput, type HandoffSpec, type RuleRegistry } from '@baton/handoff-rules';
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

/**
 * Evaluates each spec once against the sample handoff of `@baton/handoff-rules`, the result
 * dropped, and returns how long it took. Rules compile what they need on first use (the OpenAPI
 * rule its JSON Schema validator: 200-350 ms on a loaded two-core machine, against well under
 * 1 ms for each use after); called at start-up, that first use is not the first handoff's. A
 * rule that throws here is left to fail where it always would, on a real handoff.
 */
export function warmUpRules(specs: readonly HandoffSpec[], registry: RuleRegistry): number {
  const started = performance.now();
  const input = sampleHandoffInput();
  for (const spec of specs) {
    try {
      evaluateSpec(spec, input, { declaredOutputs: null, registry });
    } catch {
      // nothing to warm: the real handoff will report it
    }
  }
  return performance.now() - started;
}
