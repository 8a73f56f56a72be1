import { Controller, Get, Header, Inject } from '@nestjs/common';
import { exposeMetrics, PROMETHEUS_CONTENT_TYPE, registerServiceInfo, type ServiceInfo } from '@baton/telemetry';
import { HandoffMetrics } from '../app/handoff.metrics';
import { HANDOFF_METRICS, SERVICE_INFO } from './tokens';

/** `GET /metrics`: the process metrics every service reports, then the handoff counters. */
@Controller()
export class MetricsController {
  constructor(
    @Inject(SERVICE_INFO) info: ServiceInfo,
    @Inject(HANDOFF_METRICS) private readonly handoffs: HandoffMetrics,
  ) {
    registerServiceInfo(info);
  }

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    return (await exposeMetrics()) + this.handoffs.render();
  }
}
