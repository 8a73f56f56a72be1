// Composition root of the notifier (Slack, webhook, email and console deliveries with retries):
// reads env once and serves HTTP (health and metrics) on HTTP_PORT (default 3106) through
// runService, which shuts it down cleanly on SIGTERM/SIGINT. Its only module today is the
// operational endpoints every service exposes.
import 'reflect-metadata';
import { OpsEndpointsModule, readHttpServerEnv, readInfraEnv, runService, startHttpService } from '@baton/telemetry';
import packageJson from '../package.json';

runService('notifier', async (logger) => {
  const { readinessChecks } = readInfraEnv({ nats: true, postgres: true });
  const module = OpsEndpointsModule.forRoot({ service: 'notifier', version: packageJson.version, readinessChecks });
  return startHttpService({ module, server: readHttpServerEnv(3106), logger });
});
