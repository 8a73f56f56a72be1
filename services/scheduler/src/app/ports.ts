import type { Actor, DataOf, HandoffVerdict, ValidateHandoff } from '@baton/contracts';

/**
 * The handoff-validator, as the scheduler calls it when an agent completes a task that has
 * checks or hands over artifacts. The adapter sends `validate-handoff` over NATS.
 */
export interface HandoffValidatorPort {
  validate(request: ValidateHandoffRequest, options: { readonly commandId: string; readonly correlationId: string; readonly actor: Actor }): Promise<HandoffVerdict>;
}

export type ValidateHandoffRequest = DataOf<typeof ValidateHandoff>;
