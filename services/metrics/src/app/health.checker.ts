import { serviceContext } from '@baton/aggregate';
import type { HealthCheckName, Position } from '@baton/contracts';
import { laterOf } from '@baton/read-models';
import { judge, type HealthReading, type HealthRule } from '../domain';
import { healthObservations, recordInvestigation, uninvestigatedBreaches } from '../read-model/health.queries';
import { PeriodicCheck, type CheckContext } from './periodic-check';
import type { HealthCommands } from './ports';

/** How the health checks run. */
export interface HealthCheckerOptions {
  /** How often the checks run (the operators' 60 s by default). */
  readonly intervalMs: number;
  /** How far back each check looks. */
  readonly windowMs: number;
  readonly rules: Readonly<Record<HealthCheckName, HealthRule>>;
}

/**
 * Runs the health checks every interval: measures each check over the window, records each
 * reading on its `health-<check>.<subject>` stream (the decider appends a breach or a recovery
 * only when the state changes), and raises an escalation for every breach that asks to be
 * investigated and has none yet. The escalation's id is derived from the breach event, so a
 * retry after a lost reply raises nothing twice.
 */
export class HealthChecker extends PeriodicCheck<HealthReading[]> {
  constructor(
    context: CheckContext,
    private readonly commands: HealthCommands,
    private readonly options: HealthCheckerOptions,
  ) {
    super('health checks', options.intervalMs, context);
  }

  /** Measures, records and investigates once; returns the readings. */
  async checkNow(): Promise<HealthReading[]> {
    const { db, clock, caughtUp } = this.context;
    const now = clock.now();
    const readings = judge(await healthObservations(db, new Date(now.getTime() - this.options.windowMs)), this.options.rules, this.options.windowMs);
    let last: Position | undefined;
    for (const reading of readings) {
      const id = `${reading.check}.${reading.subject}`;
      const r = await this.commands.execute(id, (metadata) => ({ type: 'RecordHealthReading', data: reading, metadata }), serviceContext('metrics', `health:${id}:${now.toISOString()}`));
      last = laterOf(last, r.position);
    }
    // The investigations are read from the read model: wait until it holds the breaches just recorded.
    await caughtUp(last);
    await this.investigate();
    return readings;
  }

  /** Raises the escalation of each breach that asks for one; a failure is retried next round. */
  async investigate(): Promise<void> {
    const { db, escalations, clock, logger } = this.context;
    for (const breach of await uninvestigatedBreaches(db)) {
      const breachId = breach.breach_event_id!;
      const agent = breach.subject === 'system' ? {} : { agentId: breach.subject };
      try {
        const { escalationId } = await escalations.raise(
          {
            escalationId: `health-${breachId}`,
            trigger: breach.subject === 'system' ? 'manual' : 'agent_failure',
            // A lead looks into it: the agent in breach is the one least able to.
            level: 2,
            issue: `Health check ${breach.check} of ${breach.subject} is in breach: ${breach.value} ${breach.unit} (healthy: ${breach.threshold.op} ${breach.threshold.value})`,
            blocking: breach.subject === 'system' ? 'the work queued behind it' : `the tasks of ${breach.subject}`,
            options: [
              { label: 'Investigate the cause and fix it', tradeoff: 'takes someone’s time now' },
              { label: 'Accept it for now', tradeoff: 'the breach stays until the check recovers' },
            ],
            ...agent,
          },
          `investigate:${breachId}`,
        );
        await recordInvestigation(db, breachId, escalationId, clock.now());
      } catch (err) {
        logger.warn(`could not raise the escalation of health breach ${breachId}: ${(err as Error).message}`);
      }
    }
  }
}
