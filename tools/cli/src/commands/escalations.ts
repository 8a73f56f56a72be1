import { Option, type Command } from '@commander-js/extra-typings';
import { EscalationResolution, EscalationStatus, GetEscalation, ListEscalations, ResolveEscalation } from '@baton/contracts';
import { limitOption, parseEscalationLevel, parseName, reasonOption, resolutionOption, statusOption } from '../args';
import type { CliContext } from '../context';
import { CliError } from '../failure';
import { formatActor, formatEscalation, formatEscalations, formatLevel } from '../format';
import { asOption, humanActor } from './approvals';

export function registerEscalationCommands(program: Command, ctx: CliContext): void {
  const esc = program.command('escalations').description('escalations: L0 agent → L1 peer → L2 lead → L3 human, and their resolutions');

  esc
    .command('list')
    .description('list escalations, with their level, assignee and age')
    .addOption(statusOption('escalations', EscalationStatus.options))
    .option('--run <runId>', 'only escalations of this run')
    .addOption(new Option('--level <level>', 'only escalations at this level (0-3 or L0-L3)').argParser(parseEscalationLevel))
    .addOption(limitOption())
    .action(async (opts) => {
      const { escalations } = await (await ctx.client()).query(ListEscalations, {
        limit: opts.limit,
        status: opts.status,
        runId: opts.run,
        level: opts.level,
      });
      ctx.emit({ escalations }, () => formatEscalations(escalations, ctx.now(), ctx.paint));
    });

  esc
    .command('show')
    .description('one escalation in the escalation format: issue, workflow stage, options, recommendation, what it blocks')
    .argument('<escalationId>', 'escalation id')
    .action(async (escalationId) => {
      const view = await (await ctx.client()).query(GetEscalation, { escalationId });
      ctx.emit(view, () => formatEscalation(view, ctx.now(), ctx.paint));
    });

  esc
    .command('resolve')
    .description('end an escalation with a logged resolution (exception_granted approves a held stage; reassigned hands a task to --reassign-to)')
    .argument('<escalationId>', 'escalation id')
    .addOption(resolutionOption(EscalationResolution.options))
    .addOption(reasonOption('why (logged with the resolution)'))
    .addOption(new Option('--reassign-to <agentId>', 'with --resolution reassigned: the agent that takes the task over').argParser(parseName))
    .addOption(asOption())
    .action(async (escalationId, opts) => {
      if (opts.reassignTo !== undefined && opts.resolution !== 'reassigned') throw new CliError('--reassign-to goes with --resolution reassigned');
      const actor = humanActor(ctx.deps.env, opts.as);
      const view = await (await ctx.client()).command(
        ResolveEscalation,
        { escalationId, resolution: opts.resolution, reason: opts.reason, reassignTo: opts.reassignTo },
        { commandId: ctx.newId(), actor },
      );
      ctx.emit(view, () => `escalation ${view.escalationId} (${formatLevel(view.level)}) is ${view.status}: ${view.resolution ?? opts.resolution} by ${formatActor(view.resolvedBy ?? actor)}`);
    });
}
