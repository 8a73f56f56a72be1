import { contractAggregate } from '@baton/aggregate';
import { escalationStreamId, EscalationEventSchemas } from '@baton/contracts';
import type { EscalationCommand } from './escalation.commands';
import { decide, evolve } from './escalation.decider';
import type { EscalationEvent } from './escalation.events';
import { initialEscalationState, type EscalationState } from './escalation.state';

/** The escalation aggregate as the command kernel runs it: one `escalation-<id>` stream per escalation. */
export const escalationAggregate = contractAggregate<EscalationState, EscalationCommand, EscalationEvent>('escalation', EscalationEventSchemas, {
  streamId: escalationStreamId,
  initialState: initialEscalationState,
  evolve,
  decide,
});

/** Stored escalation events read through the contract's schemas (every type at version 1 so far). */
export const readEscalationEvent = escalationAggregate.read;
