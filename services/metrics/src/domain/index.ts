export * from './figures';
export * from './eta';
export * from './health.rules';
export { decide as decideHealth, evolve as evolveHealth, initialHealthState, type HealthCommand, type HealthState } from './health.decider';
export * from './health.aggregate';
export { BUDGET_WARNING_SHARE, decide as decideBudget, evolve as evolveBudget, initialBudgetState, type BudgetCommand, type BudgetState, type BudgetUsage } from './budget.decider';
export * from './budget.aggregate';
