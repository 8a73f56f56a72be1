// Composition root of the agent-registry: reads env once, starts the registry (NATS commands and
// queries, agents file, heartbeats and their timers, task-load consumer, projection, relay),
// serves HTTP (health) on HTTP_PORT (default 3102), re-reads AGENTS_FILE on SIGHUP with no
// restart (like the reload-agents command) and shuts down cleanly on SIGTERM/SIGINT.
import 'reflect-metadata';
import { PinoNestLogger, runService } from '@baton/telemetry';
import { startAgentRegistry } from './adapters/agent-registry.app';
import { readAgentRegistryConfig } from './config';

runService('agent-registry', async (logger, runtime) => {
  const config = readAgentRegistryConfig();
  const registry = await startAgentRegistry({ ...config, logger: new PinoNestLogger(logger) });
  runtime.onSignal('SIGHUP', () =>
    registry.reloadAgents().then(
      (r) => logger.info({ signal: 'SIGHUP', file: r.file, registered: r.registered, updated: r.updated, removed: r.removed, unchanged: r.unchanged.length }, 'agents file reloaded'),
      (err: unknown) => logger.error({ signal: 'SIGHUP', err }, 'agents file reload failed'),
    ),
  );
  logger.info({ http: registry.httpUrl, agentsFile: config.agentsFile ?? null, heartbeatWindowMs: config.heartbeatWindowMs }, 'agent-registry ready');
  return registry;
});
