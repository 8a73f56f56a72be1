import { contractAggregate } from '@baton/aggregate';
import { BudgetEventSchemas, budgetStreamId, type BudgetEvent } from '@baton/contracts';
import { decide, evolve, initialBudgetState, type BudgetCommand, type BudgetState } from './budget.decider';

/** The budget aggregate: one `budget-<runId>` stream per run; its events belong to the run (audited with it). */
export const budgetAggregate = contractAggregate<BudgetState, BudgetCommand, BudgetEvent>('budget', BudgetEventSchemas, {
  streamId: budgetStreamId,
  initialState: initialBudgetState,
  evolve,
  decide,
  correlationOf: (event) => event.data.runId,
});

/** Stored budget events read through the contract's schemas (every type at version 1 so far). */
export const readBudgetEvent = budgetAggregate.read;
