// Composition root of the gateway (REST API, live dashboard and MCP endpoint; it owns no domain
// state and reaches the other services only over NATS): reads env once and serves HTTP (health and
// metrics) on HTTP_PORT (default 3000) through runService, which shuts it down cleanly on
// SIGTERM/SIGINT. Its only module today is the operational endpoints every service exposes.
import 'reflect-metadata';
import { OpsEndpointsModule, readHttpServerEnv, readInfraEnv, runService, startHttpService } from '@baton/telemetry';
import packageJson from '../package.json';

runService('gateway', async (logger) => {
  const { readinessChecks } = readInfraEnv({ nats: true });
  const module = OpsEndpointsModule.forRoot({ service: 'gateway', version: packageJson.version, readinessChecks });
  return startHttpService({ module, server: readHttpServerEnv(3000), logger });
});
