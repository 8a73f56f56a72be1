// Composition root of the metrics (Prometheus metrics and workflow analytics projected from
// events): reads env once and serves HTTP (health and metrics) on HTTP_PORT (default 3105) through
// runService, which shuts it down cleanly on SIGTERM/SIGINT. Its only module today is the
// operational endpoints every service exposes.
import 'reflect-metadata';
import { OpsEndpointsModule, readHttpServerEnv, readInfraEnv, runService, startHttpService } from '@baton/telemetry';
import packageJson from '../package.json';

runService('metrics', async (logger) => {
  const { readinessChecks } = readInfraEnv({ nats: true, postgres: true });
  const module = OpsEndpointsModule.forRoot({ service: 'metrics', version: packageJson.version, readinessChecks });
  return startHttpService({ module, server: readHttpServerEnv(3105), logger });
});
