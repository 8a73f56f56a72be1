import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { exposeMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics-registry';

/** Injection token of the registries `/metrics` serves after the process registry. */
export const METRICS_REGISTRIES = Symbol('baton.metrics-registries');

/** `GET /metrics`: the process registry (default metrics, service info) and the service's own registries. */
@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRIES) private readonly registries: readonly Registry[]) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return exposeMetrics(this.registries);
  }
}
