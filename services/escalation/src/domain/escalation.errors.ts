import { ConflictError, IllegalTransitionError, NotFoundError, ValidationError } from '@baton/contracts';

/** No escalation has this id. Code NOT_FOUND. */
export class EscalationNotFoundError extends NotFoundError {
  constructor(readonly escalationId: string) {
    super('escalation', escalationId);
  }
}

/** Resolving an escalation that is already resolved. Code ILLEGAL_TRANSITION. */
export class EscalationAlreadyResolvedError extends IllegalTransitionError {
  constructor(
    readonly escalationId: string,
    resolution: string,
    resolvedAt: string,
  ) {
    super(`escalation ${escalationId} is already resolved (${resolution} at ${resolvedAt})`, { escalationId, from: 'resolved', to: 'resolved', resolution, resolvedAt });
  }
}

/** Raising an id that is taken by a different escalation. Code CONFLICT. */
export class EscalationIdTakenError extends ConflictError {
  constructor(readonly escalationId: string) {
    super(`escalation ${escalationId} already exists with other content`, { escalationId });
  }
}

/** A resolution that breaks a rule (e.g. `reassigned` without `reassignTo` on a task). Code VALIDATION_FAILED. */
export class InvalidResolutionError extends ValidationError {
  constructor(message: string, details?: unknown) {
    super(message, details);
  }
}
