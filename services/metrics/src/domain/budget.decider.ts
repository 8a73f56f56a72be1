import { decideByType, unhandled, type CommandMetadata } from '@baton/aggregate';
import type { BudgetEvent, BudgetPolicy } from '@baton/contracts';

/** Share of a budget at which a warning is recorded. */
export const BUDGET_WARNING_SHARE = 0.8;

/** How much of one budget of a run is used now. */
export interface BudgetUsage {
  readonly runId: string;
  readonly workflowId: string;
  readonly version: string;
  /** Null for the run's budget. */
  readonly stageId: string | null;
  readonly used: number;
  readonly tokens: number;
  readonly policy: BudgetPolicy;
}

export type BudgetCommand = { readonly type: 'RecordBudgetUsage'; readonly data: BudgetUsage; readonly metadata: CommandMetadata };

/** The budgets of one run already warned about, and already exceeded (keyed by stage id, `''` for the run). */
export interface BudgetState {
  readonly warned: ReadonlySet<string>;
  readonly exceeded: ReadonlySet<string>;
}

export const initialBudgetState: BudgetState = { warned: new Set(), exceeded: new Set() };

const scopeOf = (stageId: string | null): string => stageId ?? '';

/**
 * At 80 % of a budget a warning, at 100 % the breach with the workflow's policy; each once per
 * budget and run. Usage that jumps past both at once records both, warning first, so the audit
 * reads in order.
 */
export const decide = decideByType<BudgetCommand, BudgetState, BudgetEvent>('budget', {
  RecordBudgetUsage: (command, state) => {
    const u = command.data;
    const scope = scopeOf(u.stageId);
    const base = { runId: u.runId, workflowId: u.workflowId, version: u.version, stageId: u.stageId, used: u.used, tokens: u.tokens, policy: u.policy };
    const events: BudgetEvent[] = [];
    if (u.used >= u.tokens * BUDGET_WARNING_SHARE && !state.warned.has(scope)) events.push({ type: 'BudgetWarningReached', data: { ...base, reachedAt: command.metadata.now } });
    if (u.used >= u.tokens && !state.exceeded.has(scope)) events.push({ type: 'BudgetExceeded', data: { ...base, exceededAt: command.metadata.now } });
    return events;
  },
});

export function evolve(state: BudgetState, event: BudgetEvent): BudgetState {
  switch (event.type) {
    case 'BudgetWarningReached':
      return { ...state, warned: new Set([...state.warned, scopeOf(event.data.stageId)]) };
    case 'BudgetExceeded':
      return { ...state, exceeded: new Set([...state.exceeded, scopeOf(event.data.stageId)]) };
    default:
      return unhandled('budget', 'event', event);
  }
}
