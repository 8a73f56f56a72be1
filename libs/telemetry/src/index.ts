/**
 * @baton/telemetry: what every composition root needs before it wires adapters —
 * typed env getters, the pino logger (with trace ids), tracing (the OpenTelemetry SDK, started
 * by {@link runService} or a tool's `main`, and the span helpers the libs use), health and
 * metrics endpoints, and the HTTP bootstrap with graceful shutdown.
 */
export { EnvError, envBool, envInt, envString, envUrl, rawEnv } from './env';
export type { EnvIntOptions, EnvOptions, EnvSource, EnvUrlOptions } from './env';
export { activeTraceFields, createLogger } from './logger';
export type { CreateLoggerOptions, Logger } from './logger';
export { PinoNestLogger } from './nest-logger';
export {
  DEFAULT_READINESS_TIMEOUT_MS,
  assertUniqueCheckNames,
  checkReadiness,
} from './health/readiness';
export type {
  CheckReadinessOptions,
  ReadinessCheck,
  ReadinessCheckResult,
  ReadinessReport,
} from './health/readiness';
export { tcpReadinessCheck } from './health/tcp-readiness.check';
export { HEALTH_OPTIONS } from './health/health.tokens';
export type { HealthModuleOptions } from './health/health.tokens';
export { HealthModule } from './health/health.module';
export type { HealthModuleAsyncOptions } from './health/health.module';
export { HealthController } from './health/health.controller';
export type { LivenessBody, ReadinessBody } from './health/health.controller';
export { HealthService, SHUTDOWN_CHECK_NAME } from './health/health.service';
export {
  METRIC_PREFIX,
  PROMETHEUS_CONTENT_TYPE,
  exposeMetrics,
  processRegistry,
  registerScrapedMetric,
  registerServiceInfo,
} from './metrics/metrics-registry';
export type { ScrapedHistogram, ScrapedMetricOptions, ScrapedSample, ServiceInfo } from './metrics/metrics-registry';
export { MetricsModule } from './metrics/metrics.module';
export type { MetricsModuleOptions } from './metrics/metrics.module';
export { MetricsController, METRICS_REGISTRIES } from './metrics/metrics.controller';
export {
  DEFAULT_HTTP_HOST,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  envHttpHost,
  envShutdownTimeoutMs,
  readHttpServerEnv,
  runService,
  startHttpService,
} from './http-service.bootstrap';
export type { ClosableService, HttpServerEnv, ServiceRuntime, StartHttpServiceOptions } from './http-service.bootstrap';
export { LOCAL_DATABASE_URL, LOCAL_NATS_URL, readInfraEnv } from './health/infra-readiness';
export type { InfraEnv, InfraNeeds } from './health/infra-readiness';
export { OpsEndpointsModule } from './ops-endpoints.module';
export type { OpsEndpointsOptions } from './ops-endpoints.module';
export { CloseStack } from './close-stack';
export { readTracingConfig, type TracingConfig } from './tracing/tracing-config';
export { startTracing, type StartTracingOptions, type Tracing } from './tracing/start-tracing';
export {
  BatonAttributes,
  MessagingAttributes,
  NATS_SYSTEM,
  batonTracer,
  contextOfTraceHeaders,
  failSpan,
  inSpan,
  recordingSpan,
  traceHeadersOf,
  traceIdOfHeaders,
  tracingEnabled,
  type InSpanOptions,
  type TraceHeaders,
} from './tracing/spans';
export { serviceRootModule, type ServiceModuleParts } from './ops-endpoints.module';
