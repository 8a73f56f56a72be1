import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { checkReadiness, type ReadinessCheck } from '@baton/telemetry';

export const HEALTHZ_CHECKS = Symbol('HEALTHZ_CHECKS');

/** `GET /healthz`: 200 `{status: 'ok'}` when NATS answers, else 503 (the orchestrator API's health route). */
@Controller()
export class HealthzController {
  constructor(@Inject(HEALTHZ_CHECKS) private readonly checks: readonly ReadinessCheck[]) {}

  @Get('healthz')
  async healthz(@Res() res: Response): Promise<void> {
    const report = await checkReadiness(this.checks);
    const checks = Object.fromEntries(report.checks.map((c) => [c.name, c.ok ? 'ok' : (c.error ?? 'failed')]));
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ok' : 'unavailable', checks });
  }
}
