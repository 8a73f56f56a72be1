// Composition root of the scheduler: reads env once, starts the task engine (NATS commands and
// queries, dispatcher, timers, relays), serves HTTP (health and metrics) on HTTP_PORT (default
// 3101) and shuts down cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { PinoNestLogger, runService } from '@baton/telemetry';
import packageJson from '../package.json';
import { startScheduler } from './adapters/scheduler.app';
import { readSchedulerConfig } from './config';

runService('scheduler', async (logger) => {
  const config = readSchedulerConfig();
  const scheduler = await startScheduler({ ...config, version: packageJson.version, logger: new PinoNestLogger(logger) });
  logger.info({ http: scheduler.httpUrl }, 'scheduler ready');
  return scheduler;
});
