import type { Actor, ConflictKind, ConflictResolutionKind } from '@baton/contracts';
import type { Cmd } from '../task.commands';

/** What a detection says; the conflict id is deterministic (see `conflict.rules.ts`), so detecting twice records once. */
export interface ConflictFinding {
  readonly conflictId: string;
  readonly kind: ConflictKind;
  /** The tasks involved; the first is the one the conflict holds back. */
  readonly taskIds: readonly string[];
  readonly agentId: string | null;
  readonly runId: string | null;
  readonly description: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** What the scheduler does on its own, or null when it needs a decision. */
  readonly autoResolution: ConflictResolutionKind | null;
}

export type DetectConflict = Cmd<'DetectConflict', ConflictFinding>;

export type ResolveConflict = Cmd<
  'ResolveConflict',
  {
    readonly conflictId: string;
    readonly resolution: ConflictResolutionKind;
    readonly by: Actor;
    readonly reason: string;
    /** Required for `reassign`, refused otherwise. */
    readonly reassignTo: string | null;
  }
>;

/** The auto-resolution can no longer apply (a dependency failed): the conflict waits for a decision. */
export type MarkNeedsDecision = Cmd<'MarkNeedsDecision', { readonly conflictId: string; readonly reason: string }>;

export type ConflictCommand = DetectConflict | ResolveConflict | MarkNeedsDecision;
