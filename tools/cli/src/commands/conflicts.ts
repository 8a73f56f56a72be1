import { Option, type Command } from '@commander-js/extra-typings';
import { ConflictKind, ConflictResolutionKind, ConflictView, ListConflicts, ResolveConflict } from '@baton/contracts';
import { limitOption, oneOf, runOption } from '../args';
import type { CliContext } from '../context';
import { CliError } from '../failure';
import { formatActor, formatConflicts, toneOf } from '../format';
import { commandAsHuman } from './approvals';
import { listCommand, resolveCommand } from './command-builders';

const CONFLICT_STATUSES = ConflictView.shape.status.options;

const RESOLVE_HELP = {
  command: 'end a conflict with a logged resolution: reassign its held task (--reassign-to), queue it behind the others, or escalate it to a human',
  reassignTo: 'with --resolution reassign (and only then): the agent that takes the held task',
};

export function registerConflictCommands(program: Command, ctx: CliContext): void {
  const conflicts = program.command('conflicts').description('conflicts between tasks the scheduler detected (duplicates, dependencies, file overlaps, idle agents), and their resolutions');

  listCommand(conflicts, 'conflicts', 'list conflicts, with what is done about them (auto-resolution, or a decision needed) and their age', CONFLICT_STATUSES)
    .addOption(runOption('conflicts'))
    .addOption(new Option('--kind <kind>', `only conflicts of this kind (${ConflictKind.options.join(', ')})`).argParser(oneOf(ConflictKind.options)))
    .option('--task <taskId>', 'only conflicts involving this task')
    .addOption(limitOption())
    .action(async (opts) => {
      await ctx.printList(ListConflicts, { limit: opts.limit, status: opts.status, runId: opts.run, kind: opts.kind, taskId: opts.task }, 'conflicts', formatConflicts);
    });

  resolveCommand(conflicts, ['<conflictId>', 'conflict id'], ConflictResolutionKind.options, RESOLVE_HELP).action(async (conflictId, opts) => {
    if (opts.resolution === 'reassign' && opts.reassignTo === undefined) throw new CliError('--resolution reassign needs --reassign-to <agentId>');
    if (opts.resolution !== 'reassign' && opts.reassignTo !== undefined) throw new CliError('--reassign-to goes with --resolution reassign');
    const { reply: view, actor } = await commandAsHuman(ctx, ResolveConflict, { conflictId, resolution: opts.resolution, reason: opts.reason, reassignTo: opts.reassignTo }, opts.as);
    ctx.emit(view, () => {
      const resolution = view.resolution ?? opts.resolution;
      const to = resolution === 'reassign' ? ` to ${view.reassignTo ?? opts.reassignTo ?? '-'}` : '';
      return `conflict ${view.conflictId} (${view.kind}) ${ctx.paint(view.status, toneOf(view.status))}: ${resolution}${to} by ${formatActor(view.resolvedBy ?? actor)}`;
    });
  });
}
