import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTeam } from './team';

const YAML = `agents:
  - { id: MCT-PM-001, name: "Product Manager Agent", role: product_manager, capabilities: [write_prd], model: sonnet, max_concurrency: 3, peers: [MCT-MKT-001], lead: MCT-CPO-001 }
  - { id: qa-1, role: qa }
`;

describe('parseTeam', () => {
  it('reads the agents file format into profiles', () => {
    expect(parseTeam(YAML, 'agents.yaml')).toEqual([
      {
        agentId: 'MCT-PM-001',
        profile: { role: 'product_manager', capabilities: ['write_prd'], maxConcurrency: 3, peers: ['MCT-MKT-001'], name: 'Product Manager Agent', model: 'sonnet', lead: 'MCT-CPO-001' },
      },
      { agentId: 'qa-1', profile: { role: 'qa', capabilities: [], maxConcurrency: 1, peers: [] } },
    ]);
  });

  it('keeps only the agents asked for, and refuses an id the file does not have', () => {
    expect(parseTeam(YAML, 'agents.yaml', ['qa-1']).map((m) => m.agentId)).toEqual(['qa-1']);
    expect(() => parseTeam(YAML, 'agents.yaml', ['qa-1', 'qa-2'])).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('qa-2') }));
  });

  it('refuses entries without a role and bad YAML, naming the file', () => {
    expect(() => parseTeam('agents:\n  - { id: x }\n', 'bad.yaml')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('agents.0.role') }));
    expect(() => parseTeam('agents: [\n', 'broken.yaml')).toThrow(expect.objectContaining({ message: expect.stringContaining('broken.yaml') }));
  });

  it('reads the example team', () => {
    const file = path.resolve(__dirname, '../../../examples/agents.yaml');
    const team = parseTeam(readFileSync(file, 'utf8'), file);
    expect(team.length).toBeGreaterThan(20);
    expect(team.find((m) => m.agentId === 'MCT-PM-001')?.profile.capabilities).toEqual(['write_prd', 'add_to_backlog']);
  });
});
