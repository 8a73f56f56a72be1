import path from 'node:path';
// sim-agents: a team of simulated agents on Baton, through @baton/agent-sdk. Reads flags and env
// once (see options.ts), registers every agent of the agents file, works the tasks assigned to
// them, prints one line per task event (or JSON lines with --json), and stops cleanly on SIGTERM.
import { BatonAgent, type AgentActivity } from '@baton/agent-sdk';
import { errorCodeOf } from '@baton/contracts';
import { humanLine, jsonLine, type SimEvent } from './format';
import { LineWriter } from './line-writer';
import { parseSimOptions, USAGE } from './options';
import { loadOutputsFile } from './outputs';
import { simulatedWork } from './simulated-work';
import { loadTeam } from './team';

const out = new LineWriter((chunk) => process.stdout.write(chunk));

async function main(): Promise<void> {
  const options = parseSimOptions(process.argv.slice(2), process.env);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const team = await loadTeam(options.agentsFile, options.only);
  const outputs = options.outputsFile ? await loadOutputsFile(options.outputsFile) : {};
  const print = (event: AgentActivity | SimEvent): void => out.line(options.json ? jsonLine(event) : humanLine(event));

  const agents: BatonAgent[] = [];
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    Promise.allSettled(agents.map((a) => a.stop({ timeoutMs: 10_000 }))).then(() => {
      print({ type: 'sim.stopped', signal, at: new Date().toISOString() });
      out.flush();
      process.exit(0);
    }, () => {
      out.flush();
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  for (const member of team) {
    if (stopping) return;
    const agent = await BatonAgent.connect({
      agentId: member.agentId,
      servers: options.natsUrl.split(',').map((s) => s.trim()),
      ...(options.natsCreds === undefined ? {} : { creds: 'dir' in options.natsCreds ? path.join(options.natsCreds.dir, `agent-${member.agentId}.creds`) : options.natsCreds.file }),
      heartbeatIntervalMs: options.heartbeatMs,
      inboxAckWaitMs: options.ackWaitMs,
      awaitAssignments: !options.inboxOnly,
      onActivity: print,
    });
    agents.push(agent);
    await agent.register(member.profile);
    await agent.start(
      simulatedWork({
        agentId: member.agentId,
        seed: options.seed,
        durationMs: options.durationMs,
        failureRate: options.failureRate,
        steps: options.steps,
        outputs,
      }),
    );
  }
  print({ type: 'sim.ready', agents: team.map((m) => m.agentId), natsUrl: options.natsUrl, seed: options.seed, at: new Date().toISOString() });
}

main().catch((err: unknown) => {
  out.flush();
  process.stderr.write(`sim-agents: ${errorCodeOf(err) ?? 'INTERNAL'}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
