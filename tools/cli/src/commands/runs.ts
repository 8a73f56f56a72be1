import { Option, type Command } from '@commander-js/extra-typings';
import { CancelRun, ListRuns, PauseRun, RerunRun, ResumeRun, RunState } from '@baton/contracts';
import { oneOf, parsePositiveInt } from '../args';
import type { CliContext } from '../context';
import { formatRuns } from '../format';

const CONTROLS = { cancel: CancelRun, pause: PauseRun, resume: ResumeRun } as const;
const CONTROL_HELP = {
  cancel: 'cancel a run and its open tasks',
  pause: 'stop a run from starting new stages (running tasks go on)',
  resume: 'let a paused run go on',
} as const;

export function registerRunCommands(program: Command, ctx: CliContext): void {
  const runs = program.command('runs').description('workflow runs');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--workflow <id>', 'only runs of this workflow')
    .addOption(new Option('--state <state>', `only runs in this state (${RunState.options.join(', ')})`).argParser(oneOf(RunState.options)))
    .addOption(new Option('--limit <n>', 'at most this many').argParser(parsePositiveInt).default(100))
    .action(async (opts) => {
      await ctx.printList(ListRuns, { limit: opts.limit, workflowId: opts.workflow, state: opts.state }, 'runs', formatRuns);
    });

  for (const name of ['cancel', 'pause', 'resume'] as const) {
    runs
      .command(name)
      .description(CONTROL_HELP[name])
      .argument('<runId>', 'run id')
      .option('--reason <text>', 'why (kept in the run history)')
      .action(async (runId, opts) => {
        const reply = await (await ctx.client()).command(
          CONTROLS[name],
          { runId, reason: opts.reason },
          { commandId: ctx.newId() },
        );
        ctx.emit(reply, () => `run ${reply.runId}: ${ctx.paint(reply.status, reply.status === 'cancelled' ? 'bad' : 'busy')}`);
      });
  }

  runs
    .command('rerun')
    .description('start a new run of the same workflow version at a stage, reusing the recorded results of the stages before it')
    .argument('<runId>', 'the run to rerun')
    .requiredOption('--from <stage>', 'the stage the new run starts at')
    .option('--run-id <id>', 'id of the new run (derived from the command id when absent)')
    .option('--reason <text>', 'why (kept in both runs\' history)')
    .action(async (runId, opts) => {
      const reply = await (await ctx.client()).command(
        RerunRun,
        { runId, fromStage: opts.from, newRunId: opts.runId, reason: opts.reason },
        { commandId: ctx.newId() },
      );
      ctx.emit(reply, () =>
        [
          `run ${ctx.paint(reply.runId, 'busy')} reruns ${reply.sourceRunId} from ${reply.fromStage} (${reply.workflowId} ${reply.version})`,
          `reused: ${reply.reusedStages.length === 0 ? 'nothing' : reply.reusedStages.join(', ')}`,
        ].join('\n'),
      );
    });
}
