import { ValidateHandoff, type Actor, type HandoffVerdict } from '@baton/contracts';
import type { BatonClient } from '@baton/messaging';
import type { HandoffValidatorPort, ValidateHandoffRequest } from '../app/ports';

/** Calls the handoff-validator's `validate-handoff` over NATS (UNAVAILABLE/TIMEOUT when it does not answer). */
export class NatsHandoffValidator implements HandoffValidatorPort {
  constructor(
    private readonly client: BatonClient,
    private readonly timeoutMs = 15_000,
  ) {}

  validate(request: ValidateHandoffRequest, options: { readonly commandId: string; readonly correlationId: string; readonly actor: Actor }): Promise<HandoffVerdict> {
    return this.client.command(ValidateHandoff, request, { ...options, timeoutMs: this.timeoutMs });
  }
}
