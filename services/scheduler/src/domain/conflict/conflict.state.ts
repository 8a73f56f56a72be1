import type { Actor, ConflictKind, ConflictResolutionKind } from '@baton/contracts';

/** Before the first event of a `conflict-<id>` stream. */
export interface NoConflict {
  readonly exists: false;
}

/** A conflict, folded from its stream. */
export interface Conflict {
  readonly exists: true;
  readonly conflictId: string;
  readonly kind: ConflictKind;
  readonly taskIds: readonly string[];
  readonly agentId: string | null;
  readonly runId: string | null;
  readonly description: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly autoResolution: ConflictResolutionKind | null;
  readonly detectedAt: string;
  readonly status: 'open' | 'resolved';
  /** True when it waits for a decision: detected without auto-resolution, or the auto-resolution can no longer apply. */
  readonly needsDecision: boolean;
  readonly resolution: ConflictResolutionKind | null;
  readonly resolvedBy: Actor | null;
  readonly reason: string | null;
  readonly reassignTo: string | null;
  readonly resolvedAt: string | null;
}

export type ConflictState = NoConflict | Conflict;

export const initialConflictState: ConflictState = Object.freeze({ exists: false });
