import { createDefaultRegistry, parseHandoffSpec } from '@baton/handoff-rules';
import { warmUpRules } from './handoff-evaluation';

const spec = (rule: string) =>
  parseHandoffSpec(
    `handoff:
  id: "HO-WARM"
  from: "MCT-PM-001"
  to: "MCT-ARCH-001"
  required_artifacts:
    - name: "prd.md"
      validation:
        - "${rule}"
`,
    'ho-warm.yaml',
  );

describe('warmUpRules', () => {
  it('evaluates each spec once against the sample handoff, whatever its rules answer', () => {
    const seen: string[] = [];
    const registry = createDefaultRegistry()
      .register('counted', ({ artifact }) => {
        seen.push(artifact?.name ?? '(none)');
        return { ok: false, message: 'the sample does not pass: never mind' };
      })
      .register('broken', () => {
        throw new Error('a rule that throws');
      });
    expect(warmUpRules([spec('counted'), spec('broken'), spec('counted')], registry)).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual(['prd.md', 'prd.md']);
  });
});
