import { ConflictError, ValidationError } from '@baton/contracts';

/** RegisterAgent for an id that is already registered (by another command). Code CONFLICT. */
export class AgentAlreadyRegisteredError extends ConflictError {
  constructor(readonly agentId: string) {
    super(`agent ${agentId} is already registered`, { agentId });
    this.name = 'AgentAlreadyRegisteredError';
  }
}

/** A command that is well-formed but breaks a rule of the agent aggregate. Code VALIDATION_FAILED. */
export class InvalidAgentError extends ValidationError {
  constructor(message: string, details?: unknown) {
    super(message, details);
    this.name = 'InvalidAgentError';
  }
}
