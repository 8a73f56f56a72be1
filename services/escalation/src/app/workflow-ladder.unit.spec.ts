import { quickLadderWorkflow as QUICK_LADDER_WORKFLOW } from '../testing/escalation-inputs';
import { ladderOverridesOf, ladderOverridesOfYaml } from './workflow-ladder';

describe('per-workflow escalation ladder (metadata.escalation)', () => {
  it('reads the durations of a registered workflow', () => {
    expect(ladderOverridesOfYaml(QUICK_LADDER_WORKFLOW('WF-Q-1'))).toEqual({ l1AfterMs: 600_000, l2AfterMs: 1_200_000, l3AfterMs: 2_400_000, stallAfterMs: 900_000 });
  });

  it('none when the workflow sets none', () => {
    expect(ladderOverridesOf({})).toBeUndefined();
    expect(ladderOverridesOf({ owner: 'x' })).toBeUndefined();
    expect(ladderOverridesOf({ escalation: {} })).toBeUndefined();
  });

  it('takes ISO durations, human ones and milliseconds; refuses unknown keys and non-durations', () => {
    expect(ladderOverridesOf({ escalation: { l1_after: 'PT45M', l2_after: '3 hours', conflict_after: 120_000 } })).toEqual({ l1AfterMs: 2_700_000, l2AfterMs: 10_800_000, conflictEscalateMs: 120_000 });
    expect(() => ladderOverridesOf({ escalation: { l4_after: '1h' } })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => ladderOverridesOf({ escalation: { l1_after: 'soon' } })).toThrow(/l1_after/);
    expect(() => ladderOverridesOf({ escalation: { l1_after: -5 } })).toThrow(/l1_after/);
    expect(() => ladderOverridesOf({ escalation: '30m' })).toThrow(/map/);
  });

  it('a workflow that does not parse is VALIDATION_FAILED', () => {
    expect(() => ladderOverridesOfYaml('workflow: [')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
