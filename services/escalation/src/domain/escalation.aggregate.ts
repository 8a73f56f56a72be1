import { eventReader, type AggregateSpec } from '@baton/aggregate';
import { escalationStreamId, EscalationEventSchemas } from '@baton/contracts';
import type { EscalationCommand } from './escalation.commands';
import { decide, evolve } from './escalation.decider';
import type { EscalationEvent } from './escalation.events';
import { initialEscalationState, type EscalationState } from './escalation.state';

/** Stored escalation events read through the contract's schemas (every type at version 1 so far). */
export const readEscalationEvent = eventReader<EscalationEvent>('escalation', EscalationEventSchemas);

/** The escalation aggregate as the command kernel runs it: one `escalation-<id>` stream per escalation. */
export const escalationAggregate: AggregateSpec<EscalationState, EscalationCommand, EscalationEvent> = {
  name: 'escalation',
  streamId: escalationStreamId,
  read: readEscalationEvent,
  initialState: initialEscalationState,
  evolve,
  decide,
};
