import { join } from 'node:path';
import { HandoffCatalog } from './handoff-catalog';
import { loadHandoffCatalog } from './handoff-catalog.loader';
import type { HandoffSpec } from './handoff-spec';

const EXAMPLES = join(__dirname, '../../../examples/handoffs');

const spec = (id: string, from: string[], to: string[], source = `${id}.yaml`): HandoffSpec => ({ id, from, to, artifacts: [], context: [], sla: { acknowledgmentMs: null, firstOutputMs: null }, source });

describe('HandoffCatalog', () => {
  const catalog = new HandoffCatalog([spec('HO-PM-ARCH', ['PM'], ['ARCH']), spec('HO-ARCH-DEV', ['ARCH'], ['BE', 'FE', 'DBA']), spec('HO-DEV-SEC', ['BE', 'FE'], ['SEC'])]);

  it('looks specs up by id', () => {
    expect(catalog.get('HO-ARCH-DEV')?.to).toEqual(['BE', 'FE', 'DBA']);
    expect(catalog.get('HO-NOPE')).toBeUndefined();
    expect(catalog.specs.map((s) => s.id)).toEqual(['HO-PM-ARCH', 'HO-ARCH-DEV', 'HO-DEV-SEC']);
  });

  it('matches by sender, and by receiver when receivers are given', () => {
    const ids = (fromAgentId: string, toAgentIds: string[]) => catalog.matching({ fromAgentId, toAgentIds }).map((s) => s.id);
    expect(ids('ARCH', [])).toEqual(['HO-ARCH-DEV']);
    expect(ids('ARCH', ['FE', 'QA'])).toEqual(['HO-ARCH-DEV']);
    expect(ids('ARCH', ['QA'])).toEqual([]);
    expect(ids('FE', ['SEC'])).toEqual(['HO-DEV-SEC']);
    expect(ids('SEC', [])).toEqual([]);
  });

  it('refuses duplicate ids, naming both files', () => {
    expect(() => new HandoffCatalog([spec('HO-A', ['A'], ['B'], 'a.yaml'), spec('HO-A', ['A'], ['B'], 'b.yaml')])).toThrow('handoff id "HO-A" is defined in both a.yaml and b.yaml: rename one of them (ids must be unique)');
  });
});

describe('loadHandoffCatalog', () => {
  it('loads the three seed specs from examples/handoffs', async () => {
    const catalog = await loadHandoffCatalog(EXAMPLES);
    expect(catalog.specs.map((s) => s.id)).toEqual(['HO-ARCH-DEV', 'HO-DEV-SEC', 'HO-PM-ARCH']);
    const pm = catalog.get('HO-PM-ARCH');
    expect(pm).toMatchObject({ from: ['MCT-PM-001'], to: ['MCT-ARCH-001'], sla: { acknowledgmentMs: 1_800_000, firstOutputMs: 14_400_000 }, source: join(EXAMPLES, 'ho-pm-arch.yaml') });
    expect(pm?.artifacts.map((a) => [a.name, a.rules.map((r) => r.text)])).toEqual([
      ['prd.md', ['problem_statement: present', 'success_metrics: min 2', 'user_stories: min 3', 'acceptance_criteria: present for each story', 'no_tbd_markers']],
      ['designs/', ['responsive_variants: 3', 'all_states_designed']],
    ]);
    expect(pm?.context.map((c) => c.key)).toEqual(['priority_level', 'deadline', 'dependencies']);
    const dev = catalog.get('HO-ARCH-DEV');
    expect(dev?.to).toEqual(['MCT-BE-001', 'MCT-FE-001', 'MCT-DBA-001']);
    expect(dev?.artifacts.map((a) => a.rules.map((r) => r.kind))).toEqual([
      ['present', 'complete', 'present'],
      ['openapi_valid', 'all_endpoints_documented', 'error_responses_defined'],
      ['present', 'present', 'flag'],
    ]);
    expect(dev?.sla).toEqual({ acknowledgmentMs: null, firstOutputMs: null });
    const sec = catalog.get('HO-DEV-SEC');
    expect(sec?.from).toEqual(['MCT-BE-001', 'MCT-FE-001']);
    expect(sec?.artifacts.map((a) => a.rules.map((r) => r.kind))).toEqual([
      ['flag', 'flag', 'flag'],
      ['threshold', 'no_console_logs'],
    ]);
    expect(sec?.context.map((c) => [c.key, c.type])).toEqual([
      ['changed_files', 'array'],
      ['auth_changes', 'boolean'],
      ['data_access_changes', 'boolean'],
      ['dependency_updates', 'array'],
    ]);
    expect(catalog.matching({ fromAgentId: 'MCT-FE-001', toAgentIds: ['MCT-SEC-001'] }).map((s) => s.id)).toEqual(['HO-DEV-SEC']);
  });

  it('fails with NOT_FOUND and a hint when the directory does not exist', async () => {
    await expect(loadHandoffCatalog(join(EXAMPLES, 'no-such-dir'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('point HANDOFFS_DIR at the directory') });
  });
});
