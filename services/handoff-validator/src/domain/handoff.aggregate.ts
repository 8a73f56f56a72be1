import type { AggregateSpec } from '@baton/aggregate';
import { handoffStreamId } from '@baton/contracts';
import type { HandoffCommand } from './handoff.commands';
import { decide, evolve } from './handoff.decider';
import { toHandoffEvent, type HandoffEvent } from './handoff.events';
import { initialHandoffState, type HandoffState } from './handoff.state';

/**
 * The handoff aggregate as the command kernel runs it: one `handoff-<handoffId>` stream per
 * handoff, written once (its submission and verdict together). Its events belong to the run
 * the handoff is part of, or to the task when it is outside a run.
 */
export const handoffAggregate: AggregateSpec<HandoffState, HandoffCommand, HandoffEvent> = {
  name: 'handoff',
  streamId: handoffStreamId,
  read: toHandoffEvent,
  initialState: initialHandoffState,
  evolve,
  decide,
  correlationOf: (event) => event.data.runId ?? event.data.taskId,
};
