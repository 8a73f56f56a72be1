import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/** Prefix of every Baton metric (ECOSYSTEM §2 Prometheus: snake_case with an app prefix). */
export const METRIC_PREFIX = 'baton_';

/** Labels of the `baton_service_info` gauge. */
export interface ServiceInfo {
  readonly service: string;
  readonly version: string;
}

/** The raw process figures {@link renderProcessMetrics} formats; read by {@link sampleProcess}. */
export interface ProcessSample {
  readonly startTimeSeconds: number;
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly residentMemoryBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly eventLoopDelayP99Seconds: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * Formats process metrics in the Prometheus text exposition format (version 0.0.4), with the
 * names `prom-client`'s `collectDefaultMetrics({ prefix: 'baton_' })` uses, so dashboards keep
 * working when a service switches to prom-client for its own metrics.
 *
 * @example
 * res.type(PROMETHEUS_CONTENT_TYPE).send(renderProcessMetrics(info, sampleProcess(loopDelay)));
 */
export function renderProcessMetrics(info: ServiceInfo, sample: ProcessSample): string {
  const p = METRIC_PREFIX;
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number, labels = ''): void => {
    lines.push(`# HELP ${p}${name} ${help}`, `# TYPE ${p}${name} ${type}`, `${p}${name}${labels} ${value}`);
  };
  metric(
    'service_info',
    'gauge',
    'Service identity; always 1.',
    1,
    `{service="${escapeLabel(info.service)}",version="${escapeLabel(info.version)}",node_version="${escapeLabel(process.version)}"}`,
  );
  metric('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', sample.startTimeSeconds);
  metric('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', sample.cpuUserSeconds);
  metric('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', sample.cpuSystemSeconds);
  metric(
    'process_cpu_seconds_total',
    'counter',
    'Total user and system CPU time spent in seconds.',
    sample.cpuUserSeconds + sample.cpuSystemSeconds,
  );
  metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', sample.residentMemoryBytes);
  metric('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', sample.heapUsedBytes);
  metric('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', sample.heapTotalBytes);
  metric('nodejs_eventloop_lag_p99_seconds', 'gauge', 'The 99th percentile of the recorded event loop delays.', sample.eventLoopDelayP99Seconds);
  return lines.join('\n') + '\n';
}

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Reads the current process figures. Pass the histogram from {@link startEventLoopMonitor}
 * for event-loop delay (0 without one).
 */
export function sampleProcess(loopDelay?: ELDHistogram): ProcessSample {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    startTimeSeconds: Math.round((Date.now() - process.uptime() * 1000) / 1000),
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    residentMemoryBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    heapTotalBytes: mem.heapTotal,
    eventLoopDelayP99Seconds: loopDelay && loopDelay.count > 0 ? loopDelay.percentile(99) / 1e9 : 0,
  };
}

/** Starts sampling event-loop delay (10 ms resolution); call `disable()` on shutdown. */
export function startEventLoopMonitor(): ELDHistogram {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return h;
}
