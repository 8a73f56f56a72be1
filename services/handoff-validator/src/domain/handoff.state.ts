import type { HandoffStatus, RuleFailure } from '@baton/contracts';
import type { HandoffSubmittedData } from './handoff.events';

/** The verdict part of a decided handoff. */
export interface HandoffDecision {
  readonly status: HandoffStatus;
  readonly failures: readonly RuleFailure[];
  readonly rulesChecked: number;
  readonly decidedAt: string;
}

/**
 * A handoff's life: nothing yet, submitted (never seen alone: the submission and its verdict
 * are appended together), or decided.
 */
export type HandoffState =
  | { readonly status: 'none' }
  | { readonly status: 'submitted'; readonly submission: HandoffSubmittedData }
  | { readonly status: 'decided'; readonly submission: HandoffSubmittedData; readonly decision: HandoffDecision };

export const initialHandoffState: HandoffState = { status: 'none' };
