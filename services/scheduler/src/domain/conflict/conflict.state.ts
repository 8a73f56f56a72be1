import type { Actor, ConflictResolutionKind } from '@baton/contracts';
import type { ConflictFinding } from './conflict.commands';

/** Before the first event of a `conflict-<id>` stream. */
export interface NoConflict {
  readonly exists: false;
}

/** A conflict, folded from its stream. */
export interface Conflict extends ConflictFinding {
  readonly exists: true;
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
