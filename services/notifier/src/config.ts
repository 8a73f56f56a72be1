import { readServiceEnv, type ServiceEnv } from '@baton/messaging';
import { envInt, rawEnv, type EnvSource } from '@baton/telemetry';
import { DEFAULT_MAX_EVENT_AGE_MS } from './app/input.consumer';
import { consoleOnlyRules, loadRulesFile, type NotifierRules } from './app/rules.config';

/** Everything the notifier reads from its environment, read once at start-up. */
export interface NotifierConfig extends ServiceEnv {
  /** `NOTIFIER_RULES_FILE` (checked, secrets read from the environment); console-only rules when unset. */
  readonly rules: NotifierRules;
  /** How often each channel's worker looks at its queue when nothing woke it (`NOTIFIER_POLL_MS`). */
  readonly pollIntervalMs: number;
  /** Events older than this notify nobody (`NOTIFIER_MAX_EVENT_AGE_MS`, default 1 hour). */
  readonly maxEventAgeMs: number;
}

export const DEFAULT_HTTP_PORT = 3106;
export const DEFAULT_POLL_MS = 500;

/**
 * Reads and checks the configuration with the telemetry env getters (blank means unset; a bad
 * value throws an error naming the variable), and the rules file with the secrets it names.
 *
 * @example
 * const config = readNotifierConfig(); // from process.env
 */
export function readNotifierConfig(source: EnvSource = process.env): NotifierConfig {
  const opts = { source };
  const rulesFile = rawEnv('NOTIFIER_RULES_FILE', source);
  return {
    ...readServiceEnv(DEFAULT_HTTP_PORT, source),
    rules: rulesFile === undefined ? consoleOnlyRules() : loadRulesFile(rulesFile, source),
    pollIntervalMs: envInt('NOTIFIER_POLL_MS', DEFAULT_POLL_MS, { ...opts, min: 10, max: 60_000 }),
    maxEventAgeMs: envInt('NOTIFIER_MAX_EVENT_AGE_MS', DEFAULT_MAX_EVENT_AGE_MS, { ...opts, min: 1000, max: 30 * 86_400_000 }),
  };
}
