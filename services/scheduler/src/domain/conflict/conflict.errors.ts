import { IllegalTransitionError, NotFoundError, ValidationError } from '@baton/contracts';

/** No conflict with that id. Code NOT_FOUND. */
export class ConflictNotFoundError extends NotFoundError {
  constructor(readonly conflictId: string) {
    super('conflict', conflictId);
  }
}

/** Resolving a conflict that is already resolved. Code ILLEGAL_TRANSITION. */
export class ConflictAlreadyResolvedError extends IllegalTransitionError {
  constructor(conflictId: string, resolution: string, resolvedAt: string | null) {
    super(`conflict ${conflictId} is already resolved (${resolution}${resolvedAt ? ` at ${resolvedAt}` : ''})`, { conflictId, resolution, resolvedAt });
  }
}

/** A resolution whose fields do not fit it (reassign without a target, a target without reassign). Code VALIDATION_FAILED. */
export class InvalidResolutionError extends ValidationError {
  constructor(conflictId: string, message: string) {
    super(`conflict ${conflictId}: ${message}`, { conflictId });
  }
}
