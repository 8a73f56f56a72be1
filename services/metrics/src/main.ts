// Composition root of the metrics service (workflow metrics, ETA, tokens and cost, health checks,
// and the orchestrator's Prometheus metrics, all projected from the events in the store): reads
// env once, starts the service and serves HTTP (health and metrics) on HTTP_PORT (default 3105),
// and shuts down cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { PinoNestLogger, runService } from '@baton/telemetry';
import packageJson from '../package.json';
import { startMetrics } from './adapters/metrics.app';
import { readMetricsConfig } from './config';

runService('metrics', async (logger) => {
  const config = readMetricsConfig();
  const metrics = await startMetrics({ ...config, version: packageJson.version, logger: new PinoNestLogger(logger) });
  logger.info({ http: metrics.httpUrl, healthIntervalMs: config.healthIntervalMs, healthWindowMs: config.healthWindowMs }, 'metrics ready');
  return metrics;
});
