import { existsSync } from 'node:fs';
import { BatonError } from '@baton/contracts';
import { createDefaultRegistry, HandoffCatalog, loadHandoffCatalog, type RuleRegistry } from '@baton/handoff-rules';
import type { MessagingLogger } from '@baton/messaging';
import type { HandoffRules } from '../app/handoff-command.handler';
import { DEFAULT_HANDOFFS_DIR, type HandoffsDirConfig } from '../config';

/**
 * Loads the handoff specs of a directory with the default rule registry. An invalid spec file
 * throws the lib's HandoffSpecError (VALIDATION_FAILED), whose message lists every problem as
 * `file:line:col: message`, so start-up stops with it. A directory given explicitly (`env`, or a
 * plain path) must exist; the default one is skipped with a warning when absent (a deployment
 * without the repository's examples then checks only gates and criteria).
 */
export async function loadHandoffRules(dir: HandoffsDirConfig | string | undefined, logger: MessagingLogger, ruleModules: readonly string[] = []): Promise<HandoffRules> {
  const where: HandoffsDirConfig = dir === undefined ? { path: DEFAULT_HANDOFFS_DIR, source: 'default' } : typeof dir === 'string' ? { path: dir, source: 'env' } : dir;
  const registry = createDefaultRegistry();
  for (const file of ruleModules) await registerRuleModule(registry, file, logger);
  if (where.source === 'default' && !existsSync(where.path)) {
    logger.warn(`no handoff specs: ${where.path} does not exist (set HANDOFFS_DIR); only quality gates and criteria will be checked`);
    return { catalog: new HandoffCatalog([]), registry };
  }
  const catalog = await loadHandoffCatalog(where.path, { customRules: registry.ruleNames() });
  logger.log(`loaded ${catalog.specs.length} handoff spec(s) from ${where.path}: ${catalog.specs.map((s) => s.id).join(', ') || '(none)'}`);
  return { catalog, registry };
}

/**
 * The custom-rule plug-in point (`HANDOFF_RULE_MODULES`): a module exporting
 * `register(registry: RuleRegistry)` (or a default export of that function), loaded at start-up
 * so its rules can be named in handoff specs, quality gates and criteria. A module that cannot be
 * loaded, or exports no `register`, stops start-up with a message saying which and why.
 */
export async function registerRuleModule(registry: RuleRegistry, file: string, logger: MessagingLogger): Promise<void> {
  let mod: { register?: unknown; default?: unknown };
  try {
    mod = (await import(file)) as { register?: unknown; default?: unknown };
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `HANDOFF_RULE_MODULES: cannot load ${file}: ${(err as Error).message}`, { file });
  }
  const register = typeof mod.register === 'function' ? mod.register : typeof mod.default === 'function' ? mod.default : undefined;
  if (register === undefined) {
    throw new BatonError('VALIDATION_FAILED', `HANDOFF_RULE_MODULES: ${file} exports no register(registry) function`, { file });
  }
  const before = new Set(registry.ruleNames());
  (register as (r: RuleRegistry) => void)(registry);
  const added = registry.ruleNames().filter((n) => !before.has(n));
  logger.log(`custom handoff rules from ${file}: ${added.join(', ') || '(none)'}`);
}
