import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { HealthService } from './health.service';

/** Body of `GET /health/live`. */
export interface LivenessBody {
  readonly status: 'ok';
  readonly uptimeSeconds: number;
}

/** Body of `GET /health/ready` (200 when `status` is `ok`, 503 otherwise). */
export interface ReadinessBody {
  readonly status: 'ok' | 'unavailable';
  readonly checks: Readonly<Record<string, 'up' | 'down'>>;
  readonly failing: readonly string[];
}

/**
 * `/health/live` answers while the process runs (it touches no dependency, so a broken
 * database never gets the pod restarted); `/health/ready` runs the readiness checks.
 */
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  live(): LivenessBody {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  async ready(): Promise<ReadinessBody> {
    const report = await this.health.readiness();
    const checks: Record<string, 'up' | 'down'> = {};
    for (const c of report.checks) checks[c.name] = c.ok ? 'up' : 'down';
    if (report.ready) return { status: 'ok', checks, failing: [] };
    const body: ReadinessBody = { status: 'unavailable', checks, failing: report.failing };
    throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
