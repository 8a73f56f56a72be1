import { Option, type Command } from '@commander-js/extra-typings';
import { ReplayRun } from '@baton/contracts';
import { parseNonNegativeInt, parsePositionArg } from '../args';
import type { CliContext } from '../context';
import { formatReplay } from '../format';

export function registerReplayCommand(program: Command, ctx: CliContext): void {
  program
    .command('replay')
    .description("rebuild a run's state from its events (replay-run): as of now, or as of an earlier event")
    .argument('<runId>', 'run id')
    .addOption(new Option('--at <position>', 'up to and including the event at this global position (commit/prepare, as baton audit prints it)').argParser(parsePositionArg).conflicts('revision'))
    .addOption(new Option('--revision <n>', 'up to and including this revision of the run stream (0 = its first event)').argParser(parseNonNegativeInt))
    .action(async (runId, opts) => {
      await ctx.printOne(ReplayRun, { runId, at: opts.at, revision: opts.revision }, (replay, _now, paint) => formatReplay(replay, paint));
    });
}
