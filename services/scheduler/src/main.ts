// Composition root of the scheduler: reads env once, starts the task engine (NATS commands and
// queries, dispatcher, timers, relays), serves HTTP (health and metrics) on HTTP_PORT (default
// 3101) and shuts down cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { PinoNestLogger, runMain } from '@baton/telemetry';
import packageJson from '../package.json';
import { startScheduler } from './adapters/scheduler.app';
import { readSchedulerConfig } from './config';

runMain('scheduler', async (logger) => {
  const config = readSchedulerConfig();
  const scheduler = await startScheduler({ ...config, version: packageJson.version, logger: new PinoNestLogger(logger) });
  logger.info({ http: scheduler.httpUrl }, 'scheduler ready');
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    scheduler.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
