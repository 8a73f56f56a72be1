import type { Actor, EscalationAssignee, EscalationLadder, EscalationLevel, EscalationResolution } from '@baton/contracts';
import type { CommandMetadata } from '@baton/aggregate';
import type { EscalationDraft } from './escalation.text';

export type { CommandMetadata };

/** Opens an escalation at `level` with `assignee` (both chosen by the caller from the ladder). */
export interface RaiseEscalation {
  readonly type: 'RaiseEscalation';
  readonly data: EscalationDraft & {
    readonly escalationId: string;
    readonly level: EscalationLevel;
    readonly assignee: EscalationAssignee;
    /** When the problem began (ISO). */
    readonly since: string;
    readonly ladder: EscalationLadder;
  };
  readonly metadata: CommandMetadata;
}

/** A climb timer fell due: take the escalation up to `level` (never down). */
export interface ClimbLevel {
  readonly type: 'ClimbLevel';
  readonly data: { readonly escalationId: string; readonly level: EscalationLevel; readonly assignee: EscalationAssignee; readonly reason: string };
  readonly metadata: CommandMetadata;
}

/**
 * Ends an escalation with a logged resolution. `onlyIfOpen` (automatic resolutions: the task
 * completed, the stage was approved) makes a missing or already resolved escalation a no-op
 * instead of NOT_FOUND / ILLEGAL_TRANSITION.
 */
export interface ResolveEscalation {
  readonly type: 'ResolveEscalation';
  readonly data: {
    readonly escalationId: string;
    readonly resolution: EscalationResolution;
    readonly reason: string;
    readonly by: Actor;
    readonly reassignTo?: string;
    readonly onlyIfOpen?: boolean;
  };
  readonly metadata: CommandMetadata;
}

/** Every command of the escalation aggregate. */
export type EscalationCommand = RaiseEscalation | ClimbLevel | ResolveEscalation;
