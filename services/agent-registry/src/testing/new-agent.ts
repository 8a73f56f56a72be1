import type { RegisterAgentData } from '@baton/contracts';
import { uniqueId } from '@baton/testing';

/**
 * The register-agent data of a fresh backend agent with a unique id, for the registry's tests;
 * `overrides` changes any field.
 *
 * @example
 * await client.command(RegisterAgent, newAgent({ maxConcurrency: 1 }), { commandId: randomUUID() });
 */
export function newAgent(overrides: Partial<RegisterAgentData> = {}): RegisterAgentData {
  return { agentId: uniqueId('MCT-BE'), role: 'backend', capabilities: ['node', 'postgres'], maxConcurrency: 2, peers: [], ...overrides };
}
