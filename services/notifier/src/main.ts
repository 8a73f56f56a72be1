// Composition root of the notifier: reads env and the routing rules once (a bad rules file or a
// missing secret stops start-up with a message naming the place), starts the consumer of the
// events the rules route, one delivery worker per channel, the projection and relay of its
// deliveries, serves HTTP (health and metrics) on HTTP_PORT (default 3106) and shuts down
// cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { PinoNestLogger, runService } from '@baton/telemetry';
import packageJson from '../package.json';
import { startNotifier } from './adapters/notifier.app';
import { readNotifierConfig } from './config';

runService('notifier', async (logger) => {
  const config = readNotifierConfig();
  const notifier = await startNotifier({ ...config, version: packageJson.version, logger: new PinoNestLogger(logger), console: logger });
  logger.info({ http: notifier.httpUrl, rules: config.rules.file, channels: Object.keys(config.rules.channels), pollIntervalMs: config.pollIntervalMs }, 'notifier ready');
  return notifier;
});
