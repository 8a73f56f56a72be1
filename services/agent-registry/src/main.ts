import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startAgentRegistry } from './adapters/agent-registry.app';
import { readConfig } from './config';

/** Composition root: reads the environment once, starts the service, stops it on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const log = new Logger('agent-registry');
  let config;
  try {
    config = readConfig(process.env);
  } catch (err) {
    process.stderr.write(`agent-registry: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const registry = await startAgentRegistry(config);
  log.log(`ready: HTTP ${registry.httpUrl} (/health/live, /health/ready), NATS ${config.natsUrl}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal}: shutting down`);
    registry.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`agent-registry: start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
