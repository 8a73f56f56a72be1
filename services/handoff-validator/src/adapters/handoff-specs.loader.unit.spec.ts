import path from 'node:path';
import { evaluateGates, toArtifactContent } from '@baton/handoff-rules';
import type { MessagingLogger } from '@baton/messaging';
import { loadHandoffRules } from './handoff-specs.loader';

// Reads only files of this repository: the shipped specs and the example custom-rule plug-in.
const EXAMPLES = path.resolve(__dirname, '../../../../examples/handoffs');
const PLUGIN = path.join(EXAMPLES, 'rules/house-style.rules.ts');
const lines: string[] = [];
const logger: MessagingLogger = { log: (m) => void lines.push(m), warn: (m) => void lines.push(m), error: (m) => void lines.push(m) };

describe('loadHandoffRules with custom-rule plug-ins (HANDOFF_RULE_MODULES)', () => {
  it('registers the rules of a plug-in module next to the seed specs, and they evaluate like built-ins', async () => {
    const rules = await loadHandoffRules(EXAMPLES, logger, [PLUGIN]);
    expect(rules.catalog.specs.map((s) => s.id).sort()).toEqual(['HO-ARCH-DEV', 'HO-DEV-SEC', 'HO-PM-ARCH']);
    expect(rules.registry.ruleNames()).toContain('no_lorem_ipsum');
    expect(lines).toContain(`custom handoff rules from ${PLUGIN}: no_lorem_ipsum`);
    const text = (t: string) => ({ artifacts: [toArtifactContent('prd.md', new TextEncoder().encode(t))], context: {}, outputs: {} });
    expect(evaluateGates(['no_lorem_ipsum'], 'quality_gate', text('# PRD\n\nReal words.'), rules.registry).failures).toEqual([]);
    const failed = evaluateGates(['no_lorem_ipsum'], 'quality_gate', text('# PRD\n\nLorem ipsum dolor sit amet.'), rules.registry);
    expect(failed.failures).toEqual([expect.objectContaining({ rule: 'no_lorem_ipsum', message: 'placeholder text (lorem ipsum) in prd.md', missing: ['real text in prd.md'] })]);
  });

  it('stops start-up with a clear error for a module that cannot be loaded or registers nothing', async () => {
    await expect(loadHandoffRules(EXAMPLES, logger, [path.join(EXAMPLES, 'rules/missing.rules.ts')])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('HANDOFF_RULE_MODULES: cannot load'),
    });
    await expect(loadHandoffRules(EXAMPLES, logger, [path.resolve(__dirname, '../config.ts')])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('exports no register(registry) function'),
    });
  });
});
