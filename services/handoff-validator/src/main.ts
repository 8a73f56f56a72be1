// Composition root of the handoff-validator: reads env once, loads the handoff specs
// (HANDOFFS_DIR), starts the service (NATS commands and queries, artifact store, projection,
// relay), serves HTTP (health and metrics) on HTTP_PORT (default 3103) and shuts down cleanly on
// SIGTERM/SIGINT.
import 'reflect-metadata';
import { PinoNestLogger, runService } from '@baton/telemetry';
import packageJson from '../package.json';
import { startHandoffValidator } from './adapters/handoff-validator.app';
import { readHandoffValidatorConfig } from './config';

runService('handoff-validator', async (logger) => {
  const config = readHandoffValidatorConfig();
  const validator = await startHandoffValidator({ ...config, version: packageJson.version, logger: new PinoNestLogger(logger) });
  logger.info(
    { http: validator.httpUrl, specs: validator.rules.catalog.specs.map((s) => s.id), handoffsDir: config.handoffsDir.path, artifactMaxBytes: config.artifactMaxBytes },
    'handoff-validator ready',
  );
  return validator;
});
