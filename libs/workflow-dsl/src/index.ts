/**
 * @baton/workflow-dsl — Baton's workflow language: parse YAML workflows (both seed shapes) into one
 * normalized, validated model, and answer the scheduler's questions about it, purely.
 *
 * - Load: {@link parseWorkflow} / {@link parseWorkflowOrThrow} (text in, located errors out),
 *   {@link loadWorkflowFile} (reads a file), {@link workflowJsonSchema} (for editors).
 * - Run: {@link initialStages}, {@link nextStages}, {@link shouldSkip} with {@link conditionContext},
 *   {@link branchSyncState}, {@link retryDelayMs}, {@link nextRunAfter}.
 * - Version: {@link WorkflowCatalog}.
 *
 * The language reference is docs/workflows.md.
 */
export type * from './workflow.model';
export { parseWorkflow, parseWorkflowOrThrow, type ParseWorkflowOptions, type ParseWorkflowResult } from './workflow.parser';
export { loadWorkflowFile } from './workflow-file.loader';
export { WorkflowDefinitionError, ConditionEvaluationError, WorkflowVersionConflictError, formatDiagnostic, type WorkflowDiagnostic } from './workflow.errors';
export { parseDuration, type DurationParse } from './duration.parser';
export { closestMatch, didYouMean, editDistance } from './did-you-mean.util';
export { validateCron, nextRunAfter, type CronCheck } from './trigger.schedule';
export {
  compileCondition,
  evaluateCondition,
  evaluateExpression,
  CONDITION_ROOTS,
  type CompiledCondition,
  type ConditionContext,
  type ConditionScope,
  type ConditionCompileResult,
} from './condition.evaluator';
export {
  initialStages,
  nextStages,
  shouldSkip,
  conditionContext,
  dependenciesSatisfied,
  stageTasks,
  branchSyncState,
  nextTargets,
  downstreamOf,
  type StageStatus,
  type StageResult,
  type BranchResult,
  type RunResults,
  type NextStagesResult,
  type LoopExhaustion,
  type SkipDecision,
  type ConditionResultView,
} from './workflow.graph';
export { retryDelayMs, canRetry, effectiveRetry, RETRY_DEFAULTS } from './retry.policy';
export { resolveParams, type ResolveParamsResult } from './workflow.params';
export { WorkflowCatalog, compareVersions, type RegisterResult } from './workflow.catalog';
export { workflowJsonSchema } from './workflow.schema';
export { toMermaid } from './workflow.mermaid';
