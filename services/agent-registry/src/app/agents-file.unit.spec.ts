import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAgentsFile, parseAgentsFile } from './agents-file';

const FILE = 'agents.yaml';

function issuesOf(text: string): { line: number; col: number; path: string; message: string }[] {
  try {
    parseAgentsFile(text, FILE);
  } catch (err) {
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', name: 'AgentsFileError', details: { file: FILE } });
    return (err as { details: { issues: { line: number; col: number; path: string; message: string }[] } }).details.issues;
  }
  throw new Error('expected an AgentsFileError');
}

describe('parseAgentsFile', () => {
  it('reads the agents in file order as RegisterAgent data, with defaults', () => {
    const text = [
      'agents:',
      '  - id: principal-software-engineer',
      '    name: Principal Software Engineer',
      '    role: lead',
      '    capabilities: [triage, coordination, review]',
      '    model: sonnet',
      '    max_concurrency: 3',
      '    peers: [backend-architect]',
      '  - id: backend-architect',
      '    role: architect',
      '    lead: principal-software-engineer',
      '',
    ].join('\n');
    expect(parseAgentsFile(text, FILE)).toEqual({
      file: FILE,
      agents: [
        {
          agentId: 'principal-software-engineer',
          name: 'Principal Software Engineer',
          role: 'lead',
          capabilities: ['triage', 'coordination', 'review'],
          model: 'sonnet',
          maxConcurrency: 3,
          peers: ['backend-architect'],
        },
        { agentId: 'backend-architect', role: 'architect', capabilities: [], maxConcurrency: 1, peers: [], lead: 'principal-software-engineer' },
      ],
    });
  });

  it('reads null on an optional field as not set', () => {
    expect(parseAgentsFile('agents:\n  - { id: a1, role: lead, lead: null, model: null, peers: null }\n', FILE).agents).toEqual([
      { agentId: 'a1', role: 'lead', capabilities: [], maxConcurrency: 1, peers: [] },
    ]);
  });

  it('accepts an empty list', () => {
    expect(parseAgentsFile('agents: []\n', FILE).agents).toEqual([]);
    expect(parseAgentsFile('agents:\n', FILE).agents).toEqual([]);
  });

  it('names the line and column of a missing field, a wrong type and an unknown key', () => {
    const text = ['agents:', '  - id: a1', '    capabilities: [x]', '  - id: a2', '    role: qa', '    max_concurrency: many', '    modle: opus', ''].join('\n');
    const issues = issuesOf(text);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 2, col: 5, path: 'agents.0.role' }),
        expect.objectContaining({ line: 6, col: 22, path: 'agents.1.max_concurrency' }),
        expect.objectContaining({ line: 7, col: 5, path: 'agents.1', message: expect.stringContaining('modle') }),
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it('rejects an id listed twice, at the second one', () => {
    const text = ['agents:', '  - id: a1', '    role: qa', '  - id: a1', '    role: dev', ''].join('\n');
    expect(issuesOf(text)).toEqual([{ line: 4, col: 9, path: 'agents.1.id', message: 'agent id a1 is listed twice (first as agents.0)' }]);
  });

  it('rejects bad ids and a missing agents key', () => {
    expect(issuesOf('agents:\n  - id: "no spaces"\n    role: qa\n')).toEqual([expect.objectContaining({ line: 2, col: 9, path: 'agents.0.id' })]);
    expect(issuesOf('agent:\n  - id: a1\n')).toEqual([expect.objectContaining({ line: 1, col: 1, message: expect.stringContaining('agent') })]);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('agents:\n  - id: a1\n    role: [qa\n');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('rejects duplicate keys in one entry', () => {
    expect(issuesOf('agents:\n  - id: a1\n    role: qa\n    role: dev\n')[0]).toMatchObject({ line: 4 });
  });
});

describe('loadAgentsFile', () => {
  it('reads the example roster, examples/agents.yaml', async () => {
    const { agents } = await loadAgentsFile(path.join(__dirname, '../../../../examples/agents.yaml'));
    expect(agents.length).toBeGreaterThan(0);
    expect(new Set(agents.map((a) => a.agentId)).size).toBe(agents.length);
    for (const a of agents) expect(a.lead).not.toBe(a.agentId);
  });

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'agents-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads and parses a file', async () => {
    const file = path.join(dir, 'agents.yaml');
    await writeFile(file, 'agents:\n  - id: a1\n    role: qa\n');
    expect(await loadAgentsFile(file)).toEqual({ file, agents: [{ agentId: 'a1', role: 'qa', capabilities: [], maxConcurrency: 1, peers: [] }] });
  });

  it('a file that cannot be read is VALIDATION_FAILED naming it', async () => {
    const file = path.join(dir, 'missing.yaml');
    await expect(loadAgentsFile(file)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { file } });
  });
});
