import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseWorkflowOrThrow } from '@baton/workflow-dsl';
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

describe('the example team and the example workflows', () => {
  it('has an agent for every cleanup step of a stage without its own agent (those go to an agent with the step as a capability)', () => {
    const root = path.resolve(__dirname, '../../../examples');
    const team = parseTeam(readFileSync(path.join(root, 'agents.yaml'), 'utf8'), 'agents.yaml');
    const capable = new Set(team.flatMap((m) => m.profile.capabilities));
    const steps: string[] = [];
    for (const file of readdirSync(path.join(root, 'workflows')).filter((f) => f.endsWith('.yml'))) {
      const def = parseWorkflowOrThrow(readFileSync(path.join(root, 'workflows', file), 'utf8'));
      for (const stage of Object.values(def.stages)) {
        if (stage.agent === null || stage.agent.kind === 'orchestrator') steps.push(...stage.cleanup.map((step) => `${file} ${stage.id} ${step}`));
      }
    }
    expect(steps).toContain('feature-development.yml complete archive_artifacts');
    expect(steps.filter((s) => !capable.has(s.split(' ')[2]!))).toEqual([]);
    expect(team.find((m) => m.agentId === 'MCT-HK-001')?.profile.capabilities).toEqual(['archive_artifacts', 'close_tickets']);
  });
});
