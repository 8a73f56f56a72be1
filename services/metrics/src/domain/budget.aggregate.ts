import { eventReader, type AggregateSpec } from '@baton/aggregate';
import { BudgetEventSchemas, budgetStreamId, type BudgetEvent } from '@baton/contracts';
import { decide, evolve, initialBudgetState, type BudgetCommand, type BudgetState } from './budget.decider';

/** Stored budget events read through the contract's schemas (every type at version 1 so far). */
export const readBudgetEvent = eventReader<BudgetEvent>('budget', BudgetEventSchemas);

/** The budget aggregate: one `budget-<runId>` stream per run; its events belong to the run (audited with it). */
export const budgetAggregate: AggregateSpec<BudgetState, BudgetCommand, BudgetEvent> = {
  name: 'budget',
  streamId: budgetStreamId,
  read: readBudgetEvent,
  initialState: initialBudgetState,
  evolve,
  decide,
  correlationOf: (event) => event.data.runId,
};
