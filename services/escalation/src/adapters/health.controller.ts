import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION, type EventRelay } from '@baton/messaging';
import type { ProjectionRunner } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';
import type { EscalationDatabase } from './escalation.tables';
import { ESCALATIONS_PROJECTION_RUNNER, EVENT_RELAY, READ_DB } from './tokens';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/health/live`: the process answers. `/health/ready`: NATS and Postgres answer, the
 * escalations projection is caught up, and the event relay is running.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(READ_DB) private readonly db: Kysely<EscalationDatabase>,
    @Inject(ESCALATIONS_PROJECTION_RUNNER) private readonly projection: ProjectionRunner<EscalationDatabase>,
    @Inject(EVENT_RELAY) private readonly relay: EventRelay,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.checkNats(), () => this.checkPostgres(), () => this.checkProjection(), () => this.checkRelay()]);
  }

  private async checkNats(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('nats');
    if (this.nc.isClosed()) return indicator.down({ message: 'connection closed' });
    try {
      return indicator.up({ rttMs: await withTimeout(this.nc.rtt(), 'NATS') });
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  private async checkPostgres(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('postgres');
    try {
      await withTimeout(sql`SELECT 1`.execute(this.db), 'PostgreSQL');
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  private checkProjection(): HealthIndicatorResult {
    const indicator = this.indicators.check('projection:escalations');
    if (this.projection.isLive) return indicator.up();
    const last = this.projection.lastError;
    return indicator.down({
      message: `escalations projection is ${this.projection.state === 'running' ? 'catching up' : this.projection.state}`,
      ...(last instanceof Error ? { lastError: last.message } : {}),
    });
  }

  private checkRelay(): HealthIndicatorResult {
    const indicator = this.indicators.check('relay');
    const lag = this.relay.lag();
    return lag.running ? indicator.up({ live: lag.live, published: lag.published }) : indicator.down({ message: 'event relay is not running' });
  }
}
