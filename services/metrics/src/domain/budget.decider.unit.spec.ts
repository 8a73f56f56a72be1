import { deciderSpec } from '@baton/aggregate';
import type { BudgetEvent } from '@baton/contracts';
import { decide, evolve, initialBudgetState, type BudgetUsage } from './budget.decider';

const NOW = '2026-12-06T08:00:00.000Z';
const usage = (used: number, stageId: string | null = null): BudgetUsage => ({ runId: 'run-1', workflowId: 'WF-B', version: '1.0.0', stageId, used, tokens: 1000, policy: 'pause' });
const cmd = (u: BudgetUsage) => ({ type: 'RecordBudgetUsage' as const, data: u, metadata: { commandId: 'c', now: NOW } });
const base = (used: number, stageId: string | null = null) => ({ runId: 'run-1', workflowId: 'WF-B', version: '1.0.0', stageId, used, tokens: 1000, policy: 'pause' as const });
const warning = (used: number, stageId: string | null = null): BudgetEvent => ({ type: 'BudgetWarningReached', data: { ...base(used, stageId), reachedAt: NOW } });
const exceeded = (used: number, stageId: string | null = null): BudgetEvent => ({ type: 'BudgetExceeded', data: { ...base(used, stageId), exceededAt: NOW } });

describe('budget decider', () => {
  const spec = deciderSpec({ decide, evolve, initialState: initialBudgetState });

  it('records nothing under 80 %', () => {
    spec.given([]).when(cmd(usage(799))).then([]);
  });

  it('warns once at 80 %, and records the breach once at 100 % with the policy', () => {
    spec.given([]).when(cmd(usage(800))).then([warning(800)]);
    spec.given([warning(800)]).when(cmd(usage(950))).then([]);
    spec.given([warning(800)]).when(cmd(usage(1000))).then([exceeded(1000)]);
    spec.given([warning(800), exceeded(1000)]).when(cmd(usage(5000))).then([]);
  });

  it('records the warning before the breach when usage jumps past both', () => {
    spec.given([]).when(cmd(usage(1200))).then([warning(1200), exceeded(1200)]);
  });

  it('keeps each budget apart: the run’s and each stage’s', () => {
    spec.given([warning(800), exceeded(1000)]).when(cmd(usage(900, 'draft'))).then([warning(900, 'draft')]);
  });
});
