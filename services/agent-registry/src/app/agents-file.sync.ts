import type { Clock } from '@baton/aggregate';
import { errorCodeOf, shortDigest, type Actor, type RegisterAgentData, type ReloadAgentsReply } from '@baton/contracts';
import type { Kysely } from 'kysely';
import type { AgentRegistryDatabase } from '../read-model/agents.table';
import { listFileAgentIds, replaceFileAgentIds } from '../read-model/file-agents.queries';
import { loadAgentsFile, type AgentsFile } from './agents-file';
import type { AgentCommands } from './ports';

const ACTOR: Actor = { kind: 'system', id: 'agents-file' };

/** A command id derived from what the command does and the stream revision it starts from, so a re-run repeats it exactly. */
function commandIdFor(action: string, agentId: string, revision: number, payload: unknown): string {
  return `agents-file:${action}:${shortDigest(JSON.stringify({ action, agentId, revision, payload }), 32)}`;
}

/**
 * Makes the registry match an agents file, through the normal commands: agents not registered
 * are registered, changed ones updated (UpdateAgent with every field, so an unchanged agent
 * appends nothing), and agents the previous sync listed but the file no longer does are
 * removed. Agents registered at run time over NATS are never removed by a sync. Command ids
 * are derived from the file entry and the stream revision, so re-running a sync (or two
 * replicas running it at once) appends nothing new. Syncs in one process run one at a time.
 */
export class AgentsFileSync {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly commands: AgentCommands,
    private readonly db: Kysely<AgentRegistryDatabase>,
    private readonly clock: Clock,
  ) {}

  /** Reads `path` and syncs; a bad file throws AgentsFileError (VALIDATION_FAILED) before anything changes. */
  syncFile(path: string): Promise<ReloadAgentsReply> {
    const run = this.chain.then(async () => this.sync(await loadAgentsFile(path)));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async sync(file: AgentsFile): Promise<ReloadAgentsReply> {
    const reply: { registered: string[]; updated: string[]; removed: string[]; unchanged: string[] } = {
      registered: [],
      updated: [],
      removed: [],
      unchanged: [],
    };
    const listed = new Set(file.agents.map((a) => a.agentId));
    for (const entry of file.agents) {
      const outcome = await this.apply(entry);
      reply[outcome].push(entry.agentId);
    }
    for (const agentId of await listFileAgentIds(this.db)) {
      if (listed.has(agentId)) continue;
      const { state, revision } = await this.commands.load(agentId);
      if (state.status !== 'registered') continue;
      await this.commands.execute(agentId, (metadata) => ({ type: 'RemoveAgent', data: { agentId }, metadata }), {
        commandId: commandIdFor('remove', agentId, revision, null),
        actor: ACTOR,
      });
      reply.removed.push(agentId);
    }
    await replaceFileAgentIds(this.db, [...listed], this.clock.now());
    return { file: file.file, ...reply };
  }

  private async apply(entry: RegisterAgentData): Promise<'registered' | 'updated' | 'unchanged'> {
    const agentId = entry.agentId;
    const { state, revision } = await this.commands.load(agentId);
    if (state.status !== 'registered') {
      try {
        await this.commands.execute(agentId, (metadata) => ({ type: 'RegisterAgent', data: entry, metadata }), {
          commandId: commandIdFor('register', agentId, revision, entry),
          actor: ACTOR,
        });
        return 'registered';
      } catch (err) {
        // Registered at run time since we looked: bring it in line with the file instead.
        if (errorCodeOf(err) !== 'CONFLICT') throw err;
        return this.apply(entry);
      }
    }
    const desired = {
      agentId,
      name: entry.name ?? null,
      role: entry.role,
      capabilities: entry.capabilities,
      model: entry.model ?? null,
      maxConcurrency: entry.maxConcurrency,
      peers: entry.peers,
      lead: entry.lead ?? null,
    };
    const result = await this.commands.execute(agentId, (metadata) => ({ type: 'UpdateAgent', data: desired, metadata }), {
      commandId: commandIdFor('update', agentId, revision, desired),
      actor: ACTOR,
    });
    return result.appended.length > 0 ? 'updated' : 'unchanged';
  }
}
