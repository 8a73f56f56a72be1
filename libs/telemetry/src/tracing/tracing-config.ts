import { rawEnv, type EnvSource } from '../env';

/** Whether this process exports traces, as the standard `OTEL_*` variables say. */
export type TracingConfig =
  | { readonly enabled: false; readonly reason: string }
  | {
      readonly enabled: true;
      /**
       * `otlp`: the OTLP/HTTP exporter with JSON bodies; `env`: what the SDK builds from
       * `OTEL_TRACES_EXPORTER` and `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` (OTLP over
       * `http/protobuf` or `grpc`, console, zipkin).
       */
      readonly exporter: 'otlp' | 'env';
      /** `OTEL_SERVICE_NAME` when set, else the name the process gave. */
      readonly serviceName: string;
    };

/**
 * Reads the tracing switch from the standard variables. Tracing is on only when something says
 * where spans go: `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_TRACES_EXPORTER` (other than `none`); `OTEL_SDK_DISABLED=true` turns it off whatever
 * else is set. Off is the default, so a process started without configuration sends nothing
 * (the SDK alone would try `http://localhost:4318`).
 *
 * @example
 * readTracingConfig('scheduler', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })
 * // { enabled: true, exporter: 'otlp', serviceName: 'scheduler' }
 */
export function readTracingConfig(defaultServiceName: string, source: EnvSource = process.env): TracingConfig {
  if (rawEnv('OTEL_SDK_DISABLED', source)?.toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = (rawEnv('OTEL_TRACES_EXPORTER', source) ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (exporters.includes('none')) return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const endpoint = rawEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', source) ?? rawEnv('OTEL_EXPORTER_OTLP_ENDPOINT', source);
  if (exporters.length === 0 && endpoint === undefined) {
    return { enabled: false, reason: 'neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_TRACES_EXPORTER is set' };
  }
  const serviceName = rawEnv('OTEL_SERVICE_NAME', source) ?? defaultServiceName;
  const onlyOtlp = exporters.length === 0 || (exporters.length === 1 && exporters[0] === 'otlp');
  const protocol = (rawEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', source) ?? rawEnv('OTEL_EXPORTER_OTLP_PROTOCOL', source))?.toLowerCase();
  return { enabled: true, exporter: onlyOtlp && (protocol === undefined || protocol === 'http/json') ? 'otlp' : 'env', serviceName };
}
