import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import packageJson from '../package.json';
import { startEscalation } from './adapters/escalation.app';
import { readConfig } from './config';

/** Composition root: reads the environment once, starts the service, stops it on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const log = new Logger('escalation');
  let config;
  try {
    config = readConfig(process.env);
  } catch (err) {
    process.stderr.write(`escalation: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const escalation = await startEscalation({ ...config, version: packageJson.version });
  log.log(`ready: HTTP ${escalation.httpUrl} (/health/live, /health/ready, /metrics), NATS ${config.natsUrl}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal}: shutting down`);
    escalation.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`escalation: start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
