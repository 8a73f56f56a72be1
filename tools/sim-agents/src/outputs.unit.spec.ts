import { declaredOutputs, outputsFor, parseOutputsFile, plausibleValue } from './outputs';
import { seededRandom } from './random';

const who = { agentId: 'MCT-PM-001', taskId: 'task-1', action: 'write_prd' };

describe('parseOutputsFile', () => {
  it('reads a map from action to outputs', () => {
    expect(parseOutputsFile('triage: {outcome: P1}\nreview:\n  approved: true\n', 'out.yaml')).toEqual({ triage: { outcome: 'P1' }, review: { approved: true } });
    expect(parseOutputsFile('', 'empty.yaml')).toEqual({});
  });

  it('refuses other shapes and bad YAML, naming the file', () => {
    expect(() => parseOutputsFile('triage: P1\n', 'out.yaml')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('out.yaml') }));
    expect(() => parseOutputsFile('a: [\n', 'bad.yaml')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('bad.yaml') }));
  });
});

describe('declaredOutputs', () => {
  it('takes the output names the task declares in its inputs', () => {
    expect(declaredOutputs('any', { outputs: ['prd', 'user_stories'] })).toEqual(['prd', 'user_stories']);
    expect(declaredOutputs('any', { expectedOutputs: ['prd.md', 'prd.md'] })).toEqual(['prd.md']);
    expect(declaredOutputs('any', { expected_outputs: ['pr_url'] })).toEqual(['pr_url']);
  });

  it('falls back to a document named after a write_/create_ action, or a summary', () => {
    expect(declaredOutputs('write_prd', {})).toEqual(['prd.md']);
    expect(declaredOutputs('create_tdd', { outputs: 'not a list' })).toEqual(['tdd.md']);
    expect(declaredOutputs('triage', { outputs: [] })).toEqual(['summary']);
  });
});

describe('plausibleValue', () => {
  const random = seededRandom(1);
  it.each([
    ['prd.md', (v: unknown) => typeof v === 'string' && v.startsWith('# PRD\n')],
    ['report.json', (v: unknown) => typeof v === 'object' && (v as { generatedBy: string }).generatedBy === 'MCT-PM-001'],
    ['pr_url', (v: unknown) => typeof v === 'string' && v.startsWith('https://example.com/MCT-PM-001/task-1/')],
    ['tests_pass', (v: unknown) => v === true],
    ['code_compiles', (v: unknown) => v === true],
    ['coverage', (v: unknown) => typeof v === 'number' && v >= 80 && v <= 95],
    ['critical_bugs', (v: unknown) => v === 0],
    ['outcome', (v: unknown) => v === 'success'],
    ['classification', (v: unknown) => v === 'P2'],
    ['user_stories', (v: unknown) => Array.isArray(v) && v.length === 2],
    ['root_cause', (v: unknown) => v === 'Root cause by MCT-PM-001 for task-1'],
  ])('%s', (name, check) => expect(check(plausibleValue(name, who, random))).toBe(true));
});

describe('outputsFor', () => {
  it('returns the configured outputs of the action', () => {
    expect(outputsFor({ taskId: 't', action: 'triage', inputs: { outputs: ['x'] } }, 'a', { triage: { outcome: 'P1' } }, seededRandom(1))).toEqual({ outcome: 'P1' });
  });

  it('otherwise sets each declared output to a plausible value', () => {
    const out = outputsFor({ taskId: 'task-1', action: 'write_prd', inputs: {} }, 'MCT-PM-001', { triage: { outcome: 'P1' } }, seededRandom(1));
    expect(Object.keys(out)).toEqual(['prd.md']);
    expect(out['prd.md']).toMatch(/^# PRD\n\nDrafted by MCT-PM-001 for task task-1/);
  });

  it('does not take inherited keys for actions', () => {
    expect(Object.keys(outputsFor({ taskId: 't', action: 'constructor', inputs: {} }, 'a', {}, seededRandom(1)))).toEqual(['summary']);
  });
});
