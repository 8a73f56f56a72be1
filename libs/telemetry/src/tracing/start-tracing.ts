import { trace } from '@opentelemetry/api';
import type { EnvSource } from '../env';
import { readTracingConfig, type TracingConfig } from './tracing-config';

/** The tracing of this process, as {@link startTracing} left it. */
export interface Tracing {
  readonly config: TracingConfig;
  /** Exports what is buffered (a process about to idle, a CLI about to exit). */
  flush(): Promise<void>;
  /** Exports what is buffered and stops the SDK; later spans are dropped. Safe to call twice. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Read the `OTEL_*` variables from this record instead of `process.env` (tests). */
  readonly env?: EnvSource;
}

let started: Tracing | undefined;

const OFF_FLUSH = (): Promise<void> => Promise.resolve();

/**
 * Starts the OpenTelemetry Node SDK for traces once per process, configured by the standard
 * `OTEL_*` variables (see {@link readTracingConfig}): spans go through a batch processor
 * (`OTEL_BSP_*`) to the OTLP/HTTP exporter (`OTEL_EXPORTER_OTLP_ENDPOINT`, `…_HEADERS`,
 * `…_TIMEOUT`), with the W3C trace-context propagator. Metrics and logs stay with prom-client
 * and pino, so the SDK starts no metric reader and no log processor. When tracing is off, nothing
 * is registered: `@opentelemetry/api` keeps its no-op tracer, every span started is a
 * non-recording one, and the helpers of this library then skip all span work.
 *
 * Call it first in a composition root, before anything creates spans. A second call returns
 * the first one's result (several agents in one process, a service started in a test).
 *
 * @example
 * const tracing = startTracing({ serviceName: 'scheduler', serviceVersion: '0.1.0' });
 * // … on exit:
 * await tracing.shutdown();
 */
export function startTracing(options: StartTracingOptions): Tracing {
  if (started) return started;
  const config = readTracingConfig(options.serviceName, options.env);
  if (!config.enabled) {
    started = { config, flush: OFF_FLUSH, shutdown: OFF_FLUSH };
    return started;
  }
  // Loaded only when tracing is on: the SDK and its exporters cost a process about 100 ms and 35 MB.
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy loads, on purpose */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    ...(options.serviceVersion ? { resource: resourceFromAttributes({ 'service.version': options.serviceVersion }) } : {}),
    // The OTLP/HTTP exporter reads its endpoint, headers and time-out from OTEL_EXPORTER_OTLP_*;
    // any other OTEL_TRACES_EXPORTER value is left to the SDK, which builds it from the same variables.
    ...(config.exporter === 'otlp' ? { traceExporter: new OTLPTraceExporter() } : {}),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  started = {
    config,
    flush: async () => {
      // The SDK registers its provider globally; flushing through it reaches every span processor.
      const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
      await provider.getDelegate?.().forceFlush?.();
    },
    shutdown: () => (stopping ??= sdk.shutdown().catch(() => undefined)),
  };
  return started;
}
