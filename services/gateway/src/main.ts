// Composition root of the gateway: reads env once, wires the app, serves HTTP
// (health and metrics) on HTTP_PORT (default 3000) and shuts down cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { readHttpServerEnv, readInfraEnv, runMain, startHttpService } from '@baton/telemetry';
import packageJson from '../package.json';
import { AppModule } from './app.module';

runMain('gateway', async (logger) => {
  const server = readHttpServerEnv(3000);
  const infra = readInfraEnv({ nats: true });
  const module = AppModule.forRoot({ version: packageJson.version, readinessChecks: infra.readinessChecks });
  await startHttpService({ module, server, logger });
});
