import type { CompiledCondition } from './condition.evaluator';

/**
 * Who should do a stage's work.
 * - `id`: one named agent (`MCT-PM-001`, `agent6`, `code-reviewer`);
 * - `role`: any agent with that role (`architect`);
 * - `capability`: any agent advertising that capability;
 * - `auto_select_by_component`: the scheduler picks by the work item's component (Bug Fix seed);
 * - `orchestrator`: no agent; the control plane performs the action itself (e.g. `notify_stakeholders`).
 */
export interface AgentRef {
  readonly kind: 'id' | 'role' | 'capability' | 'auto_select_by_component' | 'orchestrator';
  readonly value: string;
}

/** How a workflow is started. */
export type WorkflowTrigger =
  | { readonly kind: 'manual'; readonly authorized: readonly string[] }
  | { readonly kind: 'work_item'; readonly source: string | null; readonly itemTypes: readonly string[] }
  | { readonly kind: 'schedule'; readonly cron: string; readonly timezone: string | null };

/** Where a stage goes when it completes. */
export type NextRule =
  | { readonly kind: 'none' }
  | { readonly kind: 'sequential'; readonly target: string }
  /** Keyed by the outcome the stage reports (`P0`, `approved`, …); `*` is the fallback. */
  | { readonly kind: 'by_outcome'; readonly targets: Readonly<Record<string, string>> };

/** When a fan-in (parallel branches, or several `depends_on`) counts as complete. */
export type SyncPoint =
  | { readonly kind: 'all_complete' }
  | { readonly kind: 'any_complete' }
  | { readonly kind: 'n_of_m'; readonly n: number; readonly m: number | null };

/** One concurrent unit of a stage (an entry of `parallel_agents` or of a `parallel` list). */
export interface BranchDefinition {
  /** Unique across the workflow: explicit `id`, else the action name. Conditions use it (`security_scan.passed`). */
  readonly id: string;
  readonly agent: AgentRef;
  readonly action: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Ticket selector the seed passes to each developer (`backend_tickets[]`). */
  readonly tickets: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | null;
}

/** Repeat-on-failure policy. `attempt` counts from 1; `maxAttempts` includes the first try. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: 'fixed' | 'linear' | 'exponential';
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** `full` spreads delays uniformly in [0, delay) when the caller injects a random source. */
  readonly jitter: 'none' | 'full';
}

/** A declared back edge: going from this stage to `backTo` is allowed at most `maxIterations` times. */
export interface LoopRule {
  readonly backTo: string;
  readonly maxIterations: number;
  /** Stage to continue with once the bound is reached; null means escalate. */
  readonly onExhausted: string | null;
}

/** Something to do when a stage (or the workflow) fails for good. */
export type FailureStep =
  | { readonly kind: 'task'; readonly agent: AgentRef; readonly action: string }
  | { readonly kind: 'notify'; readonly channel: string; readonly target: string | null; readonly message: string | null };

/** One stage (or step) of a workflow, in the normalized form both YAML shapes compile to. */
export interface StageDefinition {
  readonly id: string;
  readonly name: string | null;
  readonly description: string | null;
  /** Null for pure fan-out stages (`parallel_agents` without an own agent). */
  readonly action: string | null;
  readonly agent: AgentRef | null;
  readonly inputs: readonly string[];
  /** Artifact names as written (`prd.md`, `linear_tickets[]`); `null` when the stage declares none. */
  readonly outputs: readonly string[] | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly dependsOn: readonly string[];
  readonly next: NextRule;
  readonly branches: readonly BranchDefinition[];
  /** Governs `branches` if there are any, else the `dependsOn` fan-in. */
  readonly syncPoint: SyncPoint;
  /** `parallel: true` in the seed: several tasks of this stage may run at once. No effect on ordering. */
  readonly concurrent: boolean;
  /** Run only when true; a false condition skips the stage. */
  readonly condition: CompiledCondition | null;
  /** Skip when true (the 002 auto-skip criteria). */
  readonly skipIf: CompiledCondition | null;
  readonly loop: LoopRule | null;
  readonly retry: RetryPolicy | null;
  readonly onFailure: readonly FailureStep[];
  readonly slaMs: number | null;
  readonly timeoutMs: number | null;
  /** Absent when the stage sets none (absent, not null, so definitions without budgets keep their hash). */
  readonly budget?: TokenBudget;
  readonly qualityGate: readonly string[];
  readonly approvers: readonly string[];
  /** Humans (or roles) who must approve before the stage's result is accepted. */
  readonly requiresApproval: readonly string[];
  /** A failing blocking stage stops the workflow instead of letting it continue. */
  readonly blocking: boolean;
  readonly criteria: readonly string[];
  readonly cleanup: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * A token budget (`budget: {tokens, on_exceed}`) of a run or of a stage: the metrics service warns
 * at 80 % of `tokens` and at 100 % applies `onExceed` (escalate, or pause the run). A stage's
 * `onExceed` defaults to the workflow's, else `escalate`.
 */
export interface TokenBudget {
  readonly tokens: number;
  readonly onExceed: 'escalate' | 'pause';
}

/** A workflow parameter: its declared type (if any), default and whether callers must supply it. */
export interface ParamSpec {
  readonly type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | null;
  readonly default: unknown;
  readonly required: boolean;
  readonly description: string | null;
}

/** Workflow-wide failure handling, used by stages that do not set their own. */
export interface ErrorHandling {
  readonly retry: RetryPolicy | null;
  readonly onFailure: readonly FailureStep[];
}

/** The normalized workflow both YAML shapes (`workflow: … stages:` and root-level `steps:`) compile to. */
export interface WorkflowDefinition {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** False when the file gave no `version` and it was derived from the content hash. */
  readonly versionDeclared: boolean;
  readonly description: string | null;
  readonly trigger: WorkflowTrigger;
  /** Stages by id, in file order. */
  readonly stages: Readonly<Record<string, StageDefinition>>;
  readonly stageOrder: readonly string[];
  readonly entryStages: readonly string[];
  readonly params: Readonly<Record<string, ParamSpec>>;
  readonly errorHandling: ErrorHandling;
  readonly slaMs: number | null;
  /** The run's token budget; absent when the workflow sets none. */
  readonly budget?: TokenBudget;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** sha256 of the canonical normalized definition (hex). Same content, same hash. */
  readonly hash: string;
  /** The file name errors were reported against. */
  readonly source: string;
}
