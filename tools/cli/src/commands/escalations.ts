import { Option, type Command } from '@commander-js/extra-typings';
import { EscalationResolution, EscalationStatus, GetEscalation, ListEscalations, ResolveEscalation } from '@baton/contracts';
import { limitOption, parseEscalationLevel, runOption } from '../args';
import type { CliContext } from '../context';
import { CliError } from '../failure';
import { formatActor, formatEscalation, formatEscalations, formatLevel } from '../format';
import { commandAsHuman } from './approvals';
import { listCommand, resolveCommand, showCommand } from './command-builders';

const RESOLVE_HELP = {
  command: 'end an escalation with a logged resolution (exception_granted approves a held stage; reassigned hands a task to --reassign-to)',
  reassignTo: 'with --resolution reassigned: the agent that takes the task over',
};

export function registerEscalationCommands(program: Command, ctx: CliContext): void {
  const esc = program.command('escalations').description('escalations: L0 agent → L1 peer → L2 lead → L3 human, and their resolutions');

  listCommand(esc, 'escalations', 'list escalations, with their level, assignee and age', EscalationStatus.options)
    .addOption(runOption('escalations'))
    .addOption(new Option('--level <level>', 'only escalations at this level (0-3 or L0-L3)').argParser(parseEscalationLevel))
    .addOption(limitOption())
    .action(async (opts) => {
      await ctx.printList(ListEscalations, { limit: opts.limit, status: opts.status, runId: opts.run, level: opts.level }, 'escalations', formatEscalations);
    });

  showCommand(esc, 'one escalation in the escalation format: issue, workflow stage, options, recommendation, what it blocks', ['<escalationId>', 'escalation id']).action(async (escalationId) => {
    await ctx.printOne(GetEscalation, { escalationId }, formatEscalation);
  });

  resolveCommand(esc, ['<escalationId>', 'escalation id'], EscalationResolution.options, RESOLVE_HELP).action(async (escalationId, opts) => {
    if (opts.reassignTo !== undefined && opts.resolution !== 'reassigned') throw new CliError('--reassign-to goes with --resolution reassigned');
    const { reply: view, actor } = await commandAsHuman(ctx, ResolveEscalation, { escalationId, resolution: opts.resolution, reason: opts.reason, reassignTo: opts.reassignTo }, opts.as);
    ctx.emit(view, () => `escalation ${view.escalationId} (${formatLevel(view.level)}) is ${view.status}: ${view.resolution ?? opts.resolution} by ${formatActor(view.resolvedBy ?? actor)}`);
  });
}
