import type { HandoffVerdict, RuleFailure } from '@baton/contracts';
import { HandoffMetrics } from './handoff.metrics';

const failure = (rule: string): RuleFailure => ({ source: 'handoff', specId: 'HO-PM-ARCH', artifact: 'prd.md', rule, message: `${rule} failed`, missing: [] });
const verdict = (status: HandoffVerdict['status'], specIds: string[], failures: RuleFailure[] = []): HandoffVerdict => ({
  handoffId: 'ho',
  status,
  failures,
  specIds,
  artifacts: [],
  rulesChecked: 5,
});

describe('handoff metrics', () => {
  it('counts handoffs by status and spec, and failing rules by rule', () => {
    const m = new HandoffMetrics();
    m.recordVerdict(verdict('accepted', ['HO-PM-ARCH']));
    m.recordVerdict(verdict('rejected', ['HO-PM-ARCH'], [failure('user_stories: min 3'), failure('no_tbd_markers')]));
    m.recordVerdict(verdict('rejected', ['HO-PM-ARCH', 'HO-ARCH-DEV'], [failure('user_stories: min 3')]));
    m.recordVerdict(verdict('accepted', []));
    expect(m.handoffsTotal('accepted', 'HO-PM-ARCH')).toBe(1);
    expect(m.handoffsTotal('rejected', 'HO-PM-ARCH')).toBe(2);
    expect(m.handoffsTotal('rejected', 'HO-ARCH-DEV')).toBe(1);
    expect(m.handoffsTotal('accepted', 'none')).toBe(1);
    expect(m.handoffsTotal('accepted', 'HO-DEV-SEC')).toBe(0);
    expect(m.ruleFailuresTotal('user_stories: min 3')).toBe(2);
    expect(m.ruleFailuresTotal('no_tbd_markers')).toBe(1);
  });

  it('renders the Prometheus text format, sorted, with labels escaped', () => {
    const m = new HandoffMetrics();
    m.recordVerdict(verdict('rejected', ['HO-PM-ARCH'], [failure('title: matches "^[A-Z]"')]));
    m.recordVerdict(verdict('accepted', ['HO-PM-ARCH']));
    expect(m.render()).toBe(
      [
        '# HELP baton_handoffs_total Handoffs recorded by the handoff-validator, by verdict and handoff spec.',
        '# TYPE baton_handoffs_total counter',
        'baton_handoffs_total{status="accepted",spec="HO-PM-ARCH"} 1',
        'baton_handoffs_total{status="rejected",spec="HO-PM-ARCH"} 1',
        '# HELP baton_handoff_rule_failures_total Failing rules of rejected handoffs, by rule.',
        '# TYPE baton_handoff_rule_failures_total counter',
        'baton_handoff_rule_failures_total{rule="title: matches \\"^[A-Z]\\""} 1',
        '',
      ].join('\n'),
    );
  });

  it('renders the metric families even before any handoff', () => {
    expect(new HandoffMetrics().render()).toContain('# TYPE baton_handoffs_total counter\n# HELP baton_handoff_rule_failures_total');
  });
});
