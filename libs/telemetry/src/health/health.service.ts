import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HEALTH_OPTIONS, type HealthModuleOptions } from './health.tokens';
import { checkReadiness, type ReadinessReport } from './readiness';

/** Name reported as failing while the application is shutting down. */
export const SHUTDOWN_CHECK_NAME = 'shutdown';

/**
 * Runs the injected readiness checks. Once Nest starts shutting down the service reports
 * not ready, so load balancers stop sending work while in-flight requests finish.
 */
@Injectable()
export class HealthService implements BeforeApplicationShutdown {
  private readonly log = new Logger('HealthService');
  private shuttingDown = false;

  constructor(@Inject(HEALTH_OPTIONS) private readonly options: HealthModuleOptions) {}

  /** Runs all checks; logs failures with their reasons (the HTTP body carries names only). */
  async readiness(): Promise<ReadinessReport> {
    const report = await checkReadiness(
      this.options.checks ?? [],
      this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs },
    );
    const failed = report.checks.filter((c) => !c.ok);
    if (failed.length > 0) {
      this.log.warn({ msg: 'not ready', failing: failed.map((c) => ({ name: c.name, error: c.error })) });
    }
    if (this.shuttingDown) {
      return { ready: false, checks: report.checks, failing: [SHUTDOWN_CHECK_NAME, ...report.failing] };
    }
    return report;
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }
}
