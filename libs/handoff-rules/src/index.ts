/**
 * @baton/handoff-rules — handoff specs (seed 000 "HANDOFF SPECIFICATIONS") and the rule language
 * that checks a handoff's artifacts, context and reported outputs against them, purely.
 *
 * - Specs: {@link parseHandoffSpec} / {@link parseHandoffSpecs} (text in, `file:line:col` errors
 *   out), {@link loadHandoffCatalog} (a directory), {@link HandoffCatalog} (lookup and matching).
 * - Checks: {@link evaluateSpec} (a spec's artifacts and context), {@link evaluateGates} (a
 *   stage's quality gates or criteria), {@link describeFailures} (a readable summary).
 * - Extending: {@link RuleRegistry} (custom rules and named JSON Schemas).
 * - Samples: {@link sampleArtifacts} and {@link sampleHandoffInput}, compliant with the seed specs.
 *
 * The rule language reference is examples/handoffs/README.md.
 */
export {
  parseHandoffSpec,
  parseHandoffSpecs,
  type HandoffSpec,
  type ArtifactSpec,
  type ContextRequirement,
  type Rule,
  type RuleKind,
  type ThresholdOp,
  type ParseHandoffSpecOptions,
} from './handoff-spec';
export { HandoffCatalog, type HandoffParties } from './handoff-catalog';
export { loadHandoffCatalog } from './handoff-catalog.loader';
export { HandoffSpecError, RuleRegistrationError, formatSpecDiagnostic, type SpecDiagnostic } from './handoff.errors';
export { evaluateSpec, evaluateGates, describeFailures, mediaTypeFor, toArtifactContent, type ArtifactContent, type HandoffInput, type EvaluationResult } from './evaluate';
export { findArtifact } from './artifact';
export { RuleRegistry, createDefaultRegistry, type CustomRule, type CustomRuleContext, type CustomRuleResult } from './rules/rule-registry';
export { parseRule, parseContextRequirement, RULE_SYNTAX_HELP, BUILT_IN_RULE_NAMES, type RuleParse, type ContextParse, type ParseRuleOptions } from './rules/rule.parser';
export { RULE_KINDS } from './rules/rule.model';
export { parseSlaDuration, type DurationResult } from './duration.util';
export { sampleArtifacts, sampleContext, sampleOutputs, sampleHandoffInput } from './samples';
