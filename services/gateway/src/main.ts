// Composition root of the gateway, the one door for people: the REST API (with its OpenAPI
// document), authentication and roles, rate limits, and the built-in issuer on one machine. It
// owns no domain state and reaches the other services only over NATS. SIGHUP reloads the API keys.
import 'reflect-metadata';
import { runService } from '@baton/telemetry';
import packageJson from '../package.json';
import { readGatewayConfig } from './config';
import { startGateway } from './gateway';

runService('gateway', async (logger, runtime) => {
  const gateway = await startGateway(readGatewayConfig(), logger, packageJson.version);
  runtime.onSignal('SIGHUP', () => gateway.reloadApiKeys());
  return gateway;
});
