import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client';

/** Prefix of every Baton process metric (ECOSYSTEM §2 Prometheus: snake_case with an app prefix). */
export const METRIC_PREFIX = 'baton_';

/** Content type of the Prometheus text exposition format (version 0.0.4) that `/metrics` serves. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Labels of the `baton_service_info` gauge. */
export interface ServiceInfo {
  readonly service: string;
  readonly version: string;
}

let registry: Registry | undefined;
let serviceInfo: Gauge<'service' | 'version' | 'node_version'> | undefined;

/**
 * The one prom-client registry of this process, created on first use with prom-client's default
 * metrics under {@link METRIC_PREFIX} (`baton_process_cpu_seconds_total`,
 * `baton_process_resident_memory_bytes`, `baton_nodejs_eventloop_lag_p99_seconds`, …) and
 * `baton_service_info`. Metrics that live as long as the process register here; metrics owned by
 * a service instance (several may run in one test process) go on a registry of their own, passed
 * to {@link exposeMetrics} or `OpsEndpointsModule.forRoot({ registries })`.
 *
 * @example
 * new Counter({ name: 'baton_things_total', help: 'Things.', registers: [processRegistry()] });
 */
export function processRegistry(): Registry {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    serviceInfo = new Gauge({
      name: `${METRIC_PREFIX}service_info`,
      help: 'Service identity; always 1.',
      labelNames: ['service', 'version', 'node_version'] as const,
      registers: [registry],
    });
  }
  return registry;
}

/** Sets `baton_service_info{service,version,node_version} 1` for a service running in this process. */
export function registerServiceInfo(info: ServiceInfo): void {
  processRegistry();
  serviceInfo?.set({ service: info.service, version: info.version, node_version: process.version }, 1);
}

/**
 * The text `/metrics` serves: the process registry, then each of `registries` (their metric
 * names must not repeat the process registry's).
 *
 * @example
 * res.type(PROMETHEUS_CONTENT_TYPE).send(await exposeMetrics([appRegistry]));
 */
export async function exposeMetrics(registries: readonly Registry[] = []): Promise<string> {
  return Registry.merge([processRegistry(), ...registries]).metrics();
}

/** One sample of a {@link scrapedMetric}: labels and value. */
export interface ScrapedSample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** Bucket counts of a histogram read from storage: cumulative count at each upper bound, plus sum and count. */
export interface ScrapedHistogram {
  readonly labels: Readonly<Record<string, string | number>>;
  /** Cumulative counts, one per bucket bound of the metric, in order. */
  readonly buckets: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** What {@link scrapedMetric} needs: name, help, type, and how to read the samples at scrape time. */
export type ScrapedMetricOptions =
  | { readonly name: string; readonly help: string; readonly type: 'counter' | 'gauge'; readonly read: () => Promise<readonly ScrapedSample[]> }
  | { readonly name: string; readonly help: string; readonly type: 'histogram'; readonly bounds: readonly number[]; readonly read: () => Promise<readonly ScrapedHistogram[]> };

/**
 * Registers on `registry` a metric whose samples are read from storage at every scrape (a read
 * model, say) instead of being counted in memory, so every replica reports the same figures and
 * a restart resets nothing. Prom-client formats it like its own metrics; a histogram's buckets
 * come from the reader as cumulative counts at `bounds` (`+Inf` is the count).
 *
 * @example
 * registerScrapedMetric(registry, { name: 'orchestrator_workflows_active', help: '…', type: 'gauge', read: () => activeRuns(db) });
 */
export function registerScrapedMetric(registry: Registry, options: ScrapedMetricOptions): void {
  const metric = {
    name: options.name,
    async get() {
      const base = { name: options.name, help: options.help, type: options.type, aggregator: 'sum' };
      if (options.type !== 'histogram') {
        const samples = await options.read();
        return { ...base, values: samples.map((s) => ({ labels: { ...s.labels }, value: s.value })) };
      }
      const { bounds } = options;
      const histograms = await options.read();
      const values = histograms.flatMap((h) => [
        ...bounds.map((le, i) => ({ metricName: `${options.name}_bucket`, labels: { ...h.labels, le }, value: h.buckets[i] ?? h.count })),
        { metricName: `${options.name}_bucket`, labels: { ...h.labels, le: '+Inf' }, value: h.count },
        { metricName: `${options.name}_sum`, labels: { ...h.labels }, value: h.sum },
        { metricName: `${options.name}_count`, labels: { ...h.labels }, value: h.count },
      ]);
      return { ...base, values };
    },
  };
  // The registry formats any object with a name and get() (prom-client's Registry.getMetricsAsString);
  // its type lists only the built-in classes, which keep their samples in memory.
  registry.registerMetric(metric as unknown as Metric);
}
