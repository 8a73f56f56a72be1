import { Command, CommanderError, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { parsePositiveInt } from './args';
import { registerAgentRunCommand } from './commands/agent-run';
import { registerAgentCommands } from './commands/agents';
import { registerApprovalCommands } from './commands/approvals';
import { registerAuditCommands } from './commands/audit';
import { registerConflictCommands } from './commands/conflicts';
import { registerLoginCommand } from './commands/login';
import { registerEscalationCommands } from './commands/escalations';
import { registerMetricsCommand } from './commands/metrics';
import { registerNotificationCommands } from './commands/notifications';
import { registerFilesCommands } from './commands/files';
import { registerMcpCommand } from './commands/mcp';
import { registerReplayCommand } from './commands/replay';
import { registerRunCommands } from './commands/runs';
import { registerTaskCommands } from './commands/tasks';
import { registerWorkflowCommands } from './commands/workflows';
import { registerWorkItemCommands } from './commands/work-items';
import { CliContext, type CliDeps } from './context';
import { describeFailure, ExitCode } from './failure';

/** Builds the `baton` program on a context; the commands reach Baton only through it. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('baton')
    .description('Baton control plane: workflows, runs, approvals, escalations, conflicts, agents, tasks and work items over NATS; replay and audit runs from their events')
    .addOption(new Option('--nats <url>', 'NATS server (default: $NATS_URL or nats://127.0.0.1:4222)'))
    .addOption(new Option('--gateway <url>', 'talk to this gateway over HTTP as the logged-in user (default: $BATON_GATEWAY_URL, else the gateway of `baton login`)'))
    .option('--json', 'print one JSON document instead of tables')
    .addOption(new Option('--request-timeout <ms>', 'how long to wait for each reply').argParser(parsePositiveInt).default(5000))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.deps.io.stdout(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.deps.io.stderr(s.replace(/\n$/, '')),
    });
  registerWorkflowCommands(program, ctx);
  registerRunCommands(program, ctx);
  registerAgentCommands(program, ctx);
  registerAgentRunCommand(program, ctx);
  registerTaskCommands(program, ctx);
  registerWorkItemCommands(program, ctx);
  registerApprovalCommands(program, ctx);
  registerEscalationCommands(program, ctx);
  registerNotificationCommands(program, ctx);
  registerConflictCommands(program, ctx);
  registerReplayCommand(program, ctx);
  registerAuditCommands(program, ctx);
  registerLoginCommand(program, ctx);
  registerMetricsCommand(program, ctx);
  registerFilesCommands(program, ctx);
  registerMcpCommand(program, ctx);
  // Sub-commands report their errors like the root does, and never exit the process themselves.
  const walk = (c: CommandUnknownOpts): void => {
    for (const sub of c.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)').configureOutput({
        writeOut: (s) => ctx.deps.io.stdout(s.replace(/\n$/, '')),
        writeErr: (s) => ctx.deps.io.stderr(s.replace(/\n$/, '')),
      });
      walk(sub);
    }
  };
  walk(program);
  return program;
}

/**
 * Runs `baton <argv…>` and resolves with the exit code: 0 done, 1 failed (error reply, invalid
 * file, failed run, bad usage), 2 Baton not reachable. Never calls process.exit.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  // The context reads the global options lazily: they are known once commander has parsed argv.
  const ctx = new CliContext(deps, () => program.opts());
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version print and end with 0; usage errors were printed by commander.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.failed;
    }
    const failure = describeFailure(err, ctx.natsUrl);
    for (const line of failure.lines) deps.io.stderr(line);
    return failure.exitCode;
  } finally {
    await ctx.close();
  }
}
