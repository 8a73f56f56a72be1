import { ConflictError, IllegalTransitionError, NotFoundError, ValidationError, type AgentWorkState } from '@baton/contracts';

/** RegisterAgent for an id that is already registered (by another command). Code CONFLICT. */
export class AgentAlreadyRegisteredError extends ConflictError {
  constructor(readonly agentId: string) {
    super(`agent ${agentId} is already registered`, { agentId });
  }
}

/** A command that is well-formed but breaks a rule of the agent aggregate. Code VALIDATION_FAILED. */
export class InvalidAgentError extends ValidationError {
  constructor(message: string, details?: unknown) {
    super(message, details);
  }
}

/** A command for an agent that is not registered (never, or removed). Code NOT_FOUND. */
export class AgentNotFoundError extends NotFoundError {
  constructor(readonly agentId: string) {
    super('agent', agentId);
  }
}

/** A state report the state machine does not allow. Code ILLEGAL_TRANSITION; details name from, to and the allowed targets. */
export class IllegalAgentTransitionError extends IllegalTransitionError {
  constructor(
    readonly agentId: string,
    readonly from: AgentWorkState,
    readonly to: AgentWorkState,
    allowed: readonly AgentWorkState[],
  ) {
    super(`agent ${agentId} cannot go from ${from} to ${to} (allowed: ${allowed.join(', ')})`, { agentId, from, to, allowed });
  }
}
