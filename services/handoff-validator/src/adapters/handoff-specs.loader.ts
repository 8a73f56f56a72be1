import { existsSync } from 'node:fs';
import { createDefaultRegistry, HandoffCatalog, loadHandoffCatalog } from '@baton/handoff-rules';
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
export async function loadHandoffRules(dir: HandoffsDirConfig | string | undefined, logger: MessagingLogger): Promise<HandoffRules> {
  const where: HandoffsDirConfig = dir === undefined ? { path: DEFAULT_HANDOFFS_DIR, source: 'default' } : typeof dir === 'string' ? { path: dir, source: 'env' } : dir;
  const registry = createDefaultRegistry();
  if (where.source === 'default' && !existsSync(where.path)) {
    logger.warn(`no handoff specs: ${where.path} does not exist (set HANDOFFS_DIR); only quality gates and criteria will be checked`);
    return { catalog: new HandoffCatalog([]), registry };
  }
  const catalog = await loadHandoffCatalog(where.path);
  logger.log(`loaded ${catalog.specs.length} handoff spec(s) from ${where.path}: ${catalog.specs.map((s) => s.id).join(', ') || '(none)'}`);
  return { catalog, registry };
}
