// Composition root of the notifier: reads env once, wires the app, serves HTTP
// (health and metrics) on HTTP_PORT (default 3106) and shuts down cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { readHttpServerEnv, readInfraEnv, runMain, startHttpService } from '@baton/telemetry';
import packageJson from '../package.json';
import { AppModule } from './app.module';

runMain('notifier', async (logger) => {
  const server = readHttpServerEnv(3106);
  const infra = readInfraEnv({ nats: true, postgres: true });
  const module = AppModule.forRoot({ version: packageJson.version, readinessChecks: infra.readinessChecks });
  await startHttpService({ module, server, logger });
});
