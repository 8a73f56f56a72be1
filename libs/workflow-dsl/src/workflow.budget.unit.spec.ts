import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWorkflow, parseWorkflowOrThrow } from './index';

const wf = (...lines: string[]) => `${['workflow:', '  name: "Budgeted"', '  id: "WF-B"', '  version: "1.0.0"', ...lines].join('\n')}\n`;

describe('token budgets', () => {
  it('reads a run budget and stage budgets; a stage inherits the run’s policy, else escalate', () => {
    const d = parseWorkflowOrThrow(
      wf(
        '  budget: { tokens: 100000, on_exceed: pause }',
        '  stages:',
        '    - stage: "a"',
        '      action: "x"',
        '      budget: { tokens: 20000 }',
        '      next: "b"',
        '    - stage: "b"',
        '      action: "y"',
        '      budget: { tokens: 5000, on_exceed: escalate }',
        '    ',
      ),
    );
    expect(d.budget).toEqual({ tokens: 100_000, onExceed: 'pause' });
    expect(d.stages['a']?.budget).toEqual({ tokens: 20_000, onExceed: 'pause' });
    expect(d.stages['b']?.budget).toEqual({ tokens: 5000, onExceed: 'escalate' });
    const noRunBudget = parseWorkflowOrThrow(wf('  stages:', '    - stage: "a"', '      action: "x"', '      budget: { tokens: 10 }'));
    expect(noRunBudget.budget).toBeUndefined();
    expect(noRunBudget.stages['a']?.budget).toEqual({ tokens: 10, onExceed: 'escalate' });
  });

  it('leaves definitions without budgets as they were (same hash as before budgets existed)', () => {
    const seed = parseWorkflowOrThrow(readFileSync(join(__dirname, '../../../examples/workflows/feature-development.yml'), 'utf8'), { file: 'feature-development.yml' });
    expect(seed.budget).toBeUndefined();
    expect(Object.values(seed.stages).every((s) => !('budget' in s))).toBe(true);
    const withBudget = parseWorkflowOrThrow(wf('  budget: { tokens: 1 }', '  stages:', '    - stage: "a"', '      action: "x"'));
    const without = parseWorkflowOrThrow(wf('  stages:', '    - stage: "a"', '      action: "x"'));
    expect(withBudget.hash).not.toBe(without.hash);
  });

  it('refuses a bad budget with a located error, and suggests the key meant', () => {
    const bad = parseWorkflow(wf('  budget: { tokens: -5, on_exceed: stop }', '  stages:', '    - stage: "a"', '      action: "x"', '      budget: { tokns: 5 }'));
    expect(bad.ok).toBe(false);
    const text = bad.ok ? '' : bad.errors.map((e) => e.message).join('\n');
    expect(text).toMatch(/tokens/);
    expect(text).toMatch(/escalate|pause/);
    expect(text).toMatch(/did you mean "tokens"/);
  });
});
