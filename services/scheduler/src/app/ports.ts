import type { Actor, DataOf, HandoffVerdict, ValidateHandoff } from '@baton/contracts';

/** The time source of the service; the adapter reads the system clock, tests pass their own. */
export interface Clock {
  now(): Date;
}

/** Source of new ids (event ids, lease holder ids); the adapter uses random UUIDs. */
export interface IdSource {
  newId(): string;
}

/** Trace headers of a request, stored in event metadata so the relay can continue the trace. */
export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * The handoff-validator, as the scheduler calls it when an agent completes a task that has
 * checks or hands over artifacts. The adapter sends `validate-handoff` over NATS.
 */
export interface HandoffValidatorPort {
  validate(request: ValidateHandoffRequest, options: { readonly commandId: string; readonly correlationId: string; readonly actor: Actor }): Promise<HandoffVerdict>;
}

export type ValidateHandoffRequest = DataOf<typeof ValidateHandoff>;
