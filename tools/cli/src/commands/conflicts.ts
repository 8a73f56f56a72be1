import { Option, type Command } from '@commander-js/extra-typings';
import { ConflictKind, ConflictResolutionKind, ConflictView, ListConflicts, ResolveConflict } from '@baton/contracts';
import { limitOption, oneOf, parseName, reasonOption, resolutionOption, statusOption } from '../args';
import type { CliContext } from '../context';
import { CliError } from '../failure';
import { formatActor, formatConflicts, toneOf } from '../format';
import { asOption, humanActor } from './approvals';

const CONFLICT_STATUSES = ConflictView.shape.status.options;

export function registerConflictCommands(program: Command, ctx: CliContext): void {
  const conflicts = program.command('conflicts').description('conflicts between tasks the scheduler detected (duplicates, dependencies, file overlaps, idle agents), and their resolutions');

  conflicts
    .command('list')
    .description('list conflicts, with what is done about them (auto-resolution, or a decision needed) and their age')
    .addOption(statusOption('conflicts', CONFLICT_STATUSES))
    .option('--run <runId>', 'only conflicts of this run')
    .addOption(new Option('--kind <kind>', `only conflicts of this kind (${ConflictKind.options.join(', ')})`).argParser(oneOf(ConflictKind.options)))
    .option('--task <taskId>', 'only conflicts involving this task')
    .addOption(limitOption())
    .action(async (opts) => {
      const { conflicts: list } = await (await ctx.client()).query(ListConflicts, {
        limit: opts.limit,
        status: opts.status,
        runId: opts.run,
        kind: opts.kind,
        taskId: opts.task,
      });
      ctx.emit({ conflicts: list }, () => formatConflicts(list, ctx.now(), ctx.paint));
    });

  conflicts
    .command('resolve')
    .description('end a conflict with a logged resolution: reassign its held task (--reassign-to), queue it behind the others, or escalate it to a human')
    .argument('<conflictId>', 'conflict id')
    .addOption(resolutionOption(ConflictResolutionKind.options))
    .addOption(reasonOption('why (logged with the resolution)'))
    .addOption(new Option('--reassign-to <agentId>', 'with --resolution reassign (and only then): the agent that takes the held task').argParser(parseName))
    .addOption(asOption())
    .action(async (conflictId, opts) => {
      if (opts.resolution === 'reassign' && opts.reassignTo === undefined) throw new CliError('--resolution reassign needs --reassign-to <agentId>');
      if (opts.resolution !== 'reassign' && opts.reassignTo !== undefined) throw new CliError('--reassign-to goes with --resolution reassign');
      const actor = humanActor(ctx.deps.env, opts.as);
      const view = await (await ctx.client()).command(
        ResolveConflict,
        { conflictId, resolution: opts.resolution, reason: opts.reason, reassignTo: opts.reassignTo },
        { commandId: ctx.newId(), actor },
      );
      ctx.emit(view, () => {
        const resolution = view.resolution ?? opts.resolution;
        const to = resolution === 'reassign' ? ` to ${view.reassignTo ?? opts.reassignTo ?? '-'}` : '';
        return `conflict ${view.conflictId} (${view.kind}) ${ctx.paint(view.status, toneOf(view.status))}: ${resolution}${to} by ${formatActor(view.resolvedBy ?? actor)}`;
      });
    });
}
