import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startAgentRegistry } from './adapters/agent-registry.app';
import { readConfig } from './config';

/** Composition root: reads the environment once, starts the service, reloads AGENTS_FILE on SIGHUP, stops it on SIGTERM/SIGINT. */
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
  // SIGHUP re-reads AGENTS_FILE with no restart (like the reload-agents command).
  process.on('SIGHUP', () => {
    if (stopping) return;
    registry.reloadAgents().then(
      (r) => log.log(`SIGHUP: ${r.file}: registered ${r.registered.length}, updated ${r.updated.length}, removed ${r.removed.length}, unchanged ${r.unchanged.length}`),
      (err: unknown) => log.error(`SIGHUP: reload failed: ${(err as Error).message}`),
    );
  });
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`agent-registry: start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
