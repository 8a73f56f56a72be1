import type { CommandRunner } from '@baton/aggregate';
import type { BudgetEvent, DataOf, HealthEvent, RaiseEscalation } from '@baton/contracts';
import type { BudgetCommand, BudgetState, HealthCommand, HealthState } from '../domain';

/** The health aggregate's command runner. */
export type HealthCommands = CommandRunner<HealthState, HealthCommand, HealthEvent>;

/** The escalation service, as the health checker asks it to investigate a breach. */
export interface Escalations {
  raise(data: DataOf<typeof RaiseEscalation>, commandId: string): Promise<{ readonly escalationId: string }>;
}

/** The budget aggregate's command runner. */
export type BudgetCommands = CommandRunner<BudgetState, BudgetCommand, BudgetEvent>;

/** The scheduler, as the budget watcher asks it to pause a run. */
export interface RunControl {
  /** Pauses the run; a run already paused or finished is not an error (resolves `false`). */
  pause(runId: string, reason: string, commandId: string): Promise<boolean>;
}
