import { Controller, Get, Header, Inject, type OnModuleDestroy } from '@nestjs/common';
import type { ELDHistogram } from 'node:perf_hooks';
import { PROMETHEUS_CONTENT_TYPE, renderProcessMetrics, sampleProcess, SERVICE_INFO, startEventLoopMonitor, type ServiceInfo } from '@baton/telemetry';
import { HandoffMetrics } from '../app/handoff.metrics';
import { HANDOFF_METRICS } from './tokens';

/** `GET /metrics`: the process metrics every service reports, then the handoff counters. */
@Controller()
export class MetricsController implements OnModuleDestroy {
  private readonly loopDelay: ELDHistogram = startEventLoopMonitor();

  constructor(
    @Inject(SERVICE_INFO) private readonly info: ServiceInfo,
    @Inject(HANDOFF_METRICS) private readonly handoffs: HandoffMetrics,
  ) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  metrics(): string {
    return renderProcessMetrics(this.info, sampleProcess(this.loopDelay)) + this.handoffs.render();
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }
}
