import { Controller, Get, Header, Inject, type OnModuleDestroy } from '@nestjs/common';
import type { ELDHistogram } from 'node:perf_hooks';
import {
  PROMETHEUS_CONTENT_TYPE,
  renderProcessMetrics,
  sampleProcess,
  startEventLoopMonitor,
  type ServiceInfo,
} from './process-metrics';

/** Injection token for the {@link ServiceInfo} the metrics endpoint reports. */
export const SERVICE_INFO = Symbol('baton.service-info');

/** `GET /metrics`: process metrics for Prometheus to scrape. */
@Controller()
export class ProcessMetricsController implements OnModuleDestroy {
  private readonly loopDelay: ELDHistogram = startEventLoopMonitor();

  constructor(@Inject(SERVICE_INFO) private readonly info: ServiceInfo) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  metrics(): string {
    return renderProcessMetrics(this.info, sampleProcess(this.loopDelay));
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }
}
