// Composition root of the escalation service: reads env once, starts the ladder (NATS commands
// and queries, input-event consumer, durable timers, projection, relay), serves HTTP (health and
// metrics) on HTTP_PORT (default 3104) and shuts down cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { PinoNestLogger, runService } from '@baton/telemetry';
import packageJson from '../package.json';
import { startEscalation } from './adapters/escalation.app';
import { readEscalationConfig } from './config';

runService('escalation', async (logger) => {
  const config = readEscalationConfig();
  const escalation = await startEscalation({ ...config, version: packageJson.version, logger: new PinoNestLogger(logger) });
  logger.info({ http: escalation.httpUrl, ladder: config.ladder, pollIntervalMs: config.pollIntervalMs }, 'escalation ready');
  return escalation;
});
