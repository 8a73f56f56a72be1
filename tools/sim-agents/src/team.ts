import type { AgentProfile } from '@baton/agent-sdk';
import { BatonError, RegisterAgentV1 } from '@baton/contracts';
import { z } from 'zod';
import { parseYamlFile, readInputFile } from './yaml-file';

const S = RegisterAgentV1.shape;

/** One agents.yaml entry (the registry's format, snake_case); other keys are ignored here. */
const Entry = z.object({
  id: S.agentId,
  name: S.name.unwrap().nullish(),
  role: S.role,
  capabilities: S.capabilities.unwrap().nullish(),
  model: S.model.unwrap().nullish(),
  max_concurrency: S.maxConcurrency.unwrap().nullish(),
  peers: S.peers.unwrap().nullish(),
  lead: S.lead.unwrap().nullish(),
});
const File = z.object({ agents: z.array(Entry).nullish() });

/** A simulated agent: its id and the profile it registers. */
export interface TeamMember {
  readonly agentId: string;
  readonly profile: AgentProfile;
}

/**
 * The team of an agents.yaml text, in file order, keeping only `only` when given (an id there that
 * the file does not list is an error: a typo should not silently start nobody).
 */
export function parseTeam(text: string, file: string, only?: readonly string[]): TeamMember[] {
  const data = parseYamlFile(text, file, File, ' is not a valid agents file');
  const team = (data.agents ?? []).map(
    (e): TeamMember => ({
      agentId: e.id,
      profile: {
        role: e.role,
        capabilities: e.capabilities ?? [],
        maxConcurrency: e.max_concurrency ?? 1,
        peers: e.peers ?? [],
        ...(e.name != null ? { name: e.name } : {}),
        ...(e.model != null ? { model: e.model } : {}),
        ...(e.lead != null ? { lead: e.lead } : {}),
      },
    }),
  );
  if (!only) return team;
  const known = new Set(team.map((m) => m.agentId));
  const missing = only.filter((id) => !known.has(id));
  if (missing.length > 0) throw new BatonError('VALIDATION_FAILED', `--only: ${file} has no agent ${missing.join(', ')}`, { file, missing });
  const wanted = new Set(only);
  return team.filter((m) => wanted.has(m.agentId));
}

/** Reads and parses an agents file (see {@link parseTeam}). */
export async function loadTeam(file: string, only?: readonly string[]): Promise<TeamMember[]> {
  return parseTeam(await readInputFile(file), file, only);
}
