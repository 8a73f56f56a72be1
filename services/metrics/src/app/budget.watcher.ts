import { serviceContext } from '@baton/aggregate';
import type { Position } from '@baton/contracts';
import { laterOf } from '@baton/read-models';
import { budgetsToRecord, pendingBudgetActions, recordBudgetAction } from '../read-model/budget.queries';
import { PeriodicCheck, type CheckContext } from './periodic-check';
import type { BudgetCommands, RunControl } from './ports';

const tokensText = (n: number): string => n.toLocaleString('en-US');

/**
 * Watches the token budgets of running runs: records a warning at 80 % and the breach at 100 %
 * on the run's `budget-<runId>` stream (audited with the run), then carries out the workflow's
 * policy for each breach: `escalate` raises a policy-decision escalation for a person, `pause`
 * asks the scheduler to pause the run (its RunPaused event carries the reason). Ids derive from
 * the breach event, so a retry after a lost reply does nothing twice.
 */
export class BudgetWatcher extends PeriodicCheck<void> {
  constructor(
    context: CheckContext,
    private readonly commands: BudgetCommands,
    private readonly runs: RunControl,
    intervalMs: number,
  ) {
    super('budget check', intervalMs, context);
  }

  /** Records the marks reached, then carries out the pending policies. */
  async checkNow(): Promise<void> {
    const { db, escalations, clock, logger, caughtUp } = this.context;
    let last: Position | undefined;
    for (const usage of await budgetsToRecord(db)) {
      const scope = usage.stageId ?? 'run';
      const r = await this.commands.execute(
        usage.runId,
        (metadata) => ({ type: 'RecordBudgetUsage', data: usage, metadata }),
        serviceContext('metrics', `budget:${usage.runId}:${scope}:${usage.used}`, { correlationId: usage.runId }),
      );
      last = laterOf(last, r.position);
    }
    await caughtUp(last);
    for (const breach of await pendingBudgetActions(db)) {
      const what = breach.stage_id === null ? `run ${breach.run_id}` : `stage ${breach.stage_id} of run ${breach.run_id}`;
      const reason = `token budget exceeded: ${tokensText(breach.used)} of ${tokensText(breach.tokens)} tokens used by ${what}`;
      try {
        if (breach.policy === 'pause') {
          const paused = await this.runs.pause(breach.run_id, reason, `budget-pause:${breach.event_id}`);
          await recordBudgetAction(db, breach.event_id, 'pause', paused ? 'paused' : 'run not running', clock.now());
        } else {
          const { escalationId } = await escalations.raise(
            {
              escalationId: `budget-${breach.event_id}`,
              trigger: 'policy_decision',
              issue: `The ${reason}`,
              runId: breach.run_id,
              ...(breach.stage_id === null ? {} : { stageId: breach.stage_id }),
              blocking: `the rest of run ${breach.run_id}, if it is stopped`,
              options: [
                { label: 'Raise the budget and let the run go on', tradeoff: 'more tokens spent' },
                { label: 'Cancel the run', tradeoff: 'the work so far is lost' },
              ],
            },
            `budget-escalate:${breach.event_id}`,
          );
          await recordBudgetAction(db, breach.event_id, 'escalate', escalationId, clock.now());
        }
      } catch (err) {
        logger.warn(`could not apply the ${breach.policy} policy of budget breach ${breach.event_id}: ${(err as Error).message}`);
      }
    }
  }
}
