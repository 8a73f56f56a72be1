import type { Clock } from '@baton/aggregate';
import type { Position } from '@baton/contracts';
import { Poller, type MessagingLogger } from '@baton/messaging';
import type { Kysely } from 'kysely';
import type { MetricsDatabase } from '../read-model/metrics.tables';
import type { Escalations } from './ports';

/**
 * What the metrics service's periodic checks share: the read model they read, where their
 * escalations go, the clock, the log, and the wait for the projection to hold what a round
 * recorded before the round acts on it.
 */
export interface CheckContext {
  readonly db: Kysely<MetricsDatabase>;
  readonly escalations: Escalations;
  readonly clock: Clock;
  readonly logger: MessagingLogger;
  /** Resolves once the read model holds what was recorded up to `until` (the projection caught up). */
  readonly caughtUp: (until: Position | undefined) => Promise<void>;
}

/**
 * A check the metrics service runs every `intervalMs` on a {@link Poller} (rounds never overlap,
 * a failed round is logged and the next one tries again). A round is {@link PeriodicCheck.checkNow},
 * which tests call directly.
 */
export abstract class PeriodicCheck<R> extends Poller {
  protected constructor(
    name: string,
    intervalMs: number,
    protected readonly context: CheckContext,
  ) {
    super({ name, intervalMs, logger: context.logger });
  }

  /** A round of the timer (or of a test's `tick()`). */
  protected override run(): Promise<unknown> {
    return this.checkNow();
  }

  /** One round of the check. */
  abstract checkNow(): Promise<R>;
}
