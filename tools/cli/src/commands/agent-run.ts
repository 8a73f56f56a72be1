import { Option, type Command } from '@commander-js/extra-typings';
import { BatonAgent, type AgentActivity } from '@baton/agent-sdk';
import { parseName, parsePositiveInt } from '../args';
import { commandRunner, type RunnerEvent } from '../agent-runner/agent-runner';
import { runFileTasks } from '../agent-runner/file-tasks';
import { PLACEHOLDERS, unknownPlaceholders } from '../agent-runner/placeholders';
import type { CliContext } from '../context';
import { CliError } from '../failure';

const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];

/** One line per thing that happened, for people; with --json, one JSON object per line. */
function describe(e: AgentActivity | RunnerEvent): string | undefined {
  switch (e.type) {
    case 'registered':
      return `agent ${e.agentId} ${e.created ? 'registered' : 'profile updated'}`;
    case 'task.received':
      return `task ${e.taskId}: received (${e.action}, attempt ${e.attempt})`;
    case 'command.started':
      return `task ${e.taskId}: running in ${e.workdir} (process group ${e.pgid}); brief: ${e.taskMd}`;
    case 'command.exited':
      return `task ${e.taskId}: command ${e.code === null ? `killed by ${e.signal}` : `exited with ${e.code}`} after ${Math.round(e.durationMs / 1000)}s`;
    case 'command.killed':
      return `task ${e.taskId}: killed process group ${e.pgid} (${e.reason})`;
    case 'task.completed':
      return `task ${e.taskId}: completed`;
    case 'task.handoff_rejected':
      return `task ${e.taskId}: handoff rejected (round ${e.round}): ${e.failures.map((f) => f.message).join('; ')}; running again with the feedback`;
    case 'task.failed':
      return `task ${e.taskId}: failed: ${e.error.message.split('\n')[0]}`;
    case 'task.lost':
      return `task ${e.taskId}: lost (given to another agent)`;
    case 'task.rejected':
      return `task ${e.taskId}: can no longer be worked (${e.code}: ${e.reason})`;
    case 'task.deferred':
      return `task ${e.taskId}: left for redelivery (${e.code}: ${e.reason})`;
    case 'task.progress':
    case 'task.blocked':
    case 'task.unblocked':
      return undefined;
    default: {
      const unhandled: never = e;
      return `event ${JSON.stringify(unhandled)}`;
    }
  }
}

export function registerAgentRunCommand(program: Command, ctx: CliContext): void {
  const agent = program.command('agent').description('run a command-line agent as a Baton agent');
  agent
    .command('run')
    .description(
      'work tasks as agent <id> by running the command after -- for each one (Claude Code, Cursor, Codex or any program): ' +
        'the task brief is written to {task_md}, the declared --output files are handed over on exit 0, ' +
        'a non-zero exit fails the task with the end of stderr; see docs/agent-runner.md',
    )
    .requiredOption('--id <agentId>', 'the agent id (letters, digits, dash, underscore)')
    .option('--capability <name>', 'a capability the agent has (repeat for several)', repeatable, [])
    .addOption(new Option('--role <role>', 'the agent role').argParser(parseName).default('coder'))
    .addOption(new Option('--name <name>', 'a display name').argParser(parseName))
    .addOption(new Option('--model <model>', 'the model behind the agent, for the registry').argParser(parseName))
    .option('--files <repo>', 'work the task files of this repository (.mcp/tasks, the file mode) instead of Baton\'s tasks: no server, ready/ → in-progress/ → review/ or failed/')
    .option('--once', 'with --files: work one task, then stop')
    .option('--workdir <dir>', 'where the command runs (default: a fresh directory per task under the system temp directory; with --files, the repository)')
    .option('--output <path>', 'a file the command writes, relative to the working directory, handed over as an artifact (repeat for several)', repeatable, [])
    .option('--result-file <path>', 'a JSON file the command may write, {"outputs": {…}, "context": {…}}: values for quality gates and context for handoff specs')
    .addOption(new Option('--concurrency <n>', 'tasks run at once').argParser(parsePositiveInt).default(1))
    .addOption(new Option('--progress-interval <ms>', 'how often progress is reported while the command runs').argParser(parsePositiveInt).default(5000))
    .addOption(new Option('--heartbeat-interval <ms>', 'how often the agent heartbeats').argParser(parsePositiveInt).default(5000))
    .addOption(new Option('--kill-grace <ms>', 'time between SIGTERM and SIGKILL when a task is taken away').argParser(parsePositiveInt).default(5000))
    .addOption(new Option('--stop-timeout <ms>', 'on SIGINT/SIGTERM, how long running tasks may finish before they are killed and left for redelivery').argParser(parsePositiveInt).default(10_000))
    .argument('<command...>', `the agent's command line, after --; placeholders: ${Object.keys(PLACEHOLDERS).map((p) => `{${p}}`).join(' ')}`)
    .action(async (command, opts) => {
      const unknown = unknownPlaceholders(command);
      if (unknown.length > 0) {
        throw new CliError(`unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{${u}}`).join(', ')}; known: ${Object.keys(PLACEHOLDERS).map((p) => `{${p}}`).join(' ')}`);
      }
      const print = (e: AgentActivity | RunnerEvent): void => {
        if (ctx.json) ctx.deps.io.stdout(JSON.stringify(e));
        else {
          const line = describe(e);
          if (line !== undefined) ctx.deps.io.stdout(line);
        }
      };
      if (opts.files !== undefined) {
        const stop = new AbortController();
        const onSignal = (): void => stop.abort(new Error('stopped by a signal'));
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const outcomes = await runFileTasks(
            {
              repo: opts.files,
              agentId: opts.id,
              command,
              outputs: opts.output,
              once: opts.once === true,
              ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
              ...(opts.resultFile !== undefined ? { resultFile: opts.resultFile } : {}),
              killGraceMs: opts.killGrace,
              env: ctx.deps.env,
              onEvent: print,
            },
            stop.signal,
          );
          for (const o of outcomes) {
            if (ctx.json) ctx.deps.io.stdout(JSON.stringify({ type: 'file_task.moved', ...o }));
            else ctx.deps.io.stdout(`task ${o.taskId}: moved to ${o.state}/${o.state === 'failed' ? ` (${o.detail.split('\n')[0]})` : ''}`);
          }
          if (!ctx.json) ctx.deps.io.stdout(`agent ${opts.id}: ${outcomes.length === 0 ? 'no task in ready/ to take' : `${outcomes.length} task${outcomes.length === 1 ? '' : 's'} worked`}`);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        return;
      }
      // The agent's own credentials (`baton agents credentials <id>`): with them it can act only as itself.
      const creds = ctx.deps.env['NATS_CREDS']?.trim();
      const baton = await BatonAgent.connect({ agentId: opts.id, servers: ctx.natsUrl, ...(creds ? { creds } : {}), heartbeatIntervalMs: opts.heartbeatInterval, onActivity: print });
      try {
        await baton.register({
          role: opts.role,
          capabilities: opts.capability.flatMap((c) => c.split(',').map((s) => s.trim())).filter((c) => c !== ''),
          maxConcurrency: opts.concurrency,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.model !== undefined ? { model: opts.model } : {}),
        });
        const handler = commandRunner(baton, {
          agentId: opts.id,
          command,
          outputs: opts.output,
          ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
          ...(opts.resultFile !== undefined ? { resultFile: opts.resultFile } : {}),
          progressIntervalMs: opts.progressInterval,
          killGraceMs: opts.killGrace,
          env: ctx.deps.env,
          onEvent: print,
        });
        const stopped = new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        await baton.start(handler, { concurrency: opts.concurrency });
        if (ctx.json) ctx.deps.io.stdout(JSON.stringify({ type: 'runner.ready', agentId: opts.id }));
        else ctx.deps.io.stdout(`agent ${opts.id} is waiting for tasks (Ctrl-C to stop)`);
        const signal = await stopped;
        ctx.say(`${signal}: stopping; running tasks get ${opts.stopTimeout} ms`);
        await baton.stop({ timeoutMs: opts.stopTimeout });
      } catch (err) {
        await baton.stop({ timeoutMs: 0 });
        throw err;
      }
    });
}
