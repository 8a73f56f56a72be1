import type { CommandMetadata } from '@baton/aggregate';
import type { ArtifactRef, RuleFailure } from '@baton/contracts';

/** What was handed over: the request, with its artifacts already stored and the specs that apply chosen. */
export interface HandoffSubmission {
  readonly handoffId: string;
  readonly taskId: string;
  readonly runId: string | null;
  readonly stageId: string | null;
  readonly iteration: number | null;
  readonly fromAgentId: string;
  readonly toAgentIds: readonly string[];
  readonly specIds: readonly string[];
  readonly artifacts: readonly ArtifactRef[];
  readonly context: Readonly<Record<string, unknown>>;
}

/** What the rules said: every failing rule, and how many rules were checked. */
export interface HandoffEvaluation {
  readonly failures: readonly RuleFailure[];
  readonly rulesChecked: number;
}

/** Records a checked handoff: its submission and the verdict that follows from the evaluation. */
export interface RecordHandoff {
  readonly type: 'RecordHandoff';
  readonly data: { readonly submission: HandoffSubmission; readonly evaluation: HandoffEvaluation };
  readonly metadata: CommandMetadata;
}

/**
 * A request for a handoff id already recorded: nothing is evaluated again and nothing is
 * recorded, the first verdict stands. It still runs through the command kernel, so a command id
 * reused for another request on this handoff is refused (IDEMPOTENCY_CONFLICT).
 */
export interface RepeatHandoff {
  readonly type: 'RepeatHandoff';
  readonly data: { readonly handoffId: string };
  readonly metadata: CommandMetadata;
}

/** Every command of the handoff aggregate. */
export type HandoffCommand = RecordHandoff | RepeatHandoff;
