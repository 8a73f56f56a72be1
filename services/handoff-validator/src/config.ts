import path from 'node:path';
import { MAX_ARTIFACT_BYTES } from '@baton/contracts';
import { readServiceEnv, type ServiceEnv } from '@baton/messaging';
import { envInt, rawEnv, type EnvSource } from '@baton/telemetry';

/** The repository root (this file is services/handoff-validator/src/config.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** `HANDOFFS_DIR` when unset: the example specs of the repository. */
export const DEFAULT_HANDOFFS_DIR = path.join(REPO_ROOT, 'examples', 'handoffs');

export const DEFAULT_HTTP_PORT = 3103;

/** `ARTIFACT_MAX_BYTES` when unset: 512 KiB. */
export const DEFAULT_ARTIFACT_MAX_BYTES = 512 * 1024;

/** Where the handoff specs come from, and whether a missing directory stops start-up. */
export interface HandoffsDirConfig {
  /** Absolute path. */
  readonly path: string;
  /** `env`: set by HANDOFFS_DIR, so it must exist; `default`: the repository's examples, skipped (with a warning) when absent. */
  readonly source: 'env' | 'default';
}

/** Everything the handoff-validator reads from its environment, read once at start-up. */
export interface HandoffValidatorConfig extends ServiceEnv {
  /** `HANDOFFS_DIR`: every `*.yml`/`*.yaml` there is a handoff spec; relative paths are resolved from the repository root. */
  readonly handoffsDir: HandoffsDirConfig;
  /** `ARTIFACT_MAX_BYTES` (default 512 KiB, at most the contract's MAX_ARTIFACT_BYTES): the largest artifact accepted, decoded. */
  readonly artifactMaxBytes: number;
  /** `HANDOFF_RULE_MODULES`: comma-separated modules exporting `register(registry)` (custom rules); relative paths from the repository root. */
  readonly ruleModules: readonly string[];
}

/**
 * Reads and checks the configuration with the telemetry env getters (blank means unset; a bad
 * value throws an error naming the variable).
 *
 * @example
 * const config = readHandoffValidatorConfig(); // from process.env
 */
export function readHandoffValidatorConfig(source: EnvSource = process.env): HandoffValidatorConfig {
  const opts = { source };
  const dir = rawEnv('HANDOFFS_DIR', source);
  return {
    ...readServiceEnv(DEFAULT_HTTP_PORT, source),
    handoffsDir: dir === undefined ? { path: DEFAULT_HANDOFFS_DIR, source: 'default' } : { path: path.resolve(REPO_ROOT, dir), source: 'env' },
    artifactMaxBytes: envInt('ARTIFACT_MAX_BYTES', DEFAULT_ARTIFACT_MAX_BYTES, { ...opts, min: 1, max: MAX_ARTIFACT_BYTES }),
    ruleModules: (rawEnv('HANDOFF_RULE_MODULES', source) ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '')
      .map((m) => path.resolve(REPO_ROOT, m)),
  };
}
