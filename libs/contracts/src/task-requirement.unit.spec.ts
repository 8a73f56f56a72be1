import { matchesRequirement } from './task.events';

describe('matchesRequirement', () => {
  it('matches agent id exactly, the role, and every capability', () => {
    const a = { agentId: 'a1', role: 'backend', capabilities: ['node', 'sql'] };
    expect(matchesRequirement(a, { capabilities: ['node', 'sql'] })).toBe(true);
    expect(matchesRequirement(a, { capabilities: ['node', 'go'] })).toBe(false);
    expect(matchesRequirement(a, { role: 'frontend', capabilities: [] })).toBe(false);
    expect(matchesRequirement(a, { agentId: 'a2', capabilities: [] })).toBe(false);
    expect(matchesRequirement(a, { agentId: 'a1', role: 'backend', capabilities: ['sql'] })).toBe(true);
  });
});
