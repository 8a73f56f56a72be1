import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { EnvError, rawEnv, type EnvSource } from './env';

export type { Logger } from 'pino';

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Service name, written as `service` on every line. */
  readonly service: string;
  /** Overrides `LOG_LEVEL` (default `info`). */
  readonly level?: Level | 'silent';
  /** Where lines go; stdout when omitted (tests pass a stream to capture them). */
  readonly destination?: DestinationStream;
  /** Read `LOG_LEVEL` from this record instead of `process.env` (tests). */
  readonly env?: EnvSource;
}

/**
 * The trace fields of the active OpenTelemetry span, or `{}` when there is none.
 * Field names match `@opentelemetry/instrumentation-pino`, so Jaeger/Grafana links work either way.
 *
 * @example
 * logger.info({ ...activeTraceFields(), taskId }, 'task assigned');
 */
export function activeTraceFields(): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}`.slice(-2) };
}

/**
 * Creates the service logger: JSON lines to stdout, ISO timestamps, level labels,
 * `service` on every line and the active trace id when a span is current.
 * The level comes from `LOG_LEVEL` (fatal, error, warn, info, debug, trace, silent; default info);
 * a bad value throws an {@link EnvError}. For readable local output pipe through `pino-pretty`.
 *
 * @example
 * const logger = createLogger({ service: 'scheduler' });
 * logger.info({ port }, 'listening');
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const level = options.level ?? rawEnv('LOG_LEVEL', options.env)?.toLowerCase() ?? 'info';
  if (!LEVELS.includes(level)) throw new EnvError('LOG_LEVEL', `one of ${LEVELS.join(', ')}`, 'malformed', level);
  const pinoOptions: pino.LoggerOptions = {
    level,
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: activeTraceFields,
  };
  // Synchronous stdout: lines keep their order and none are lost when the process exits
  // right after logging (start-up failures, shutdown), which async writes do not guarantee.
  return pino(pinoOptions, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
