import { Option, type Command } from '@commander-js/extra-typings';
import { SubmitWorkItem } from '@baton/contracts';
import { collectParam, parsePriority } from '../args';
import type { CliContext } from '../context';

export function registerWorkItemCommands(program: Command, ctx: CliContext): void {
  const items = program.command('work-items').description('work items (bugs, incidents, feature requests) routed to workflows');

  items
    .command('submit')
    .description('submit a work item; Baton routes it to the workflow that takes its type')
    .requiredOption('--type <type>', 'kind of work: bug, incident, feature, …')
    .option('--title <text>', 'short title')
    .addOption(new Option('--priority <P>', 'P0, P1 or P2').argParser(parsePriority))
    .option('--id <itemId>', 'item id (idempotency key); generated when absent')
    .option('-d, --data <key=value>', 'a payload field (repeatable); JSON values are parsed', collectParam, {} as Record<string, unknown>)
    .action(async (opts) => {
      const itemId = opts.id ?? `wi-${ctx.newId().slice(0, 8)}`;
      const reply = await (await ctx.client()).command(
        SubmitWorkItem,
        {
          itemId,
          type: opts.type,
          payload: opts.data,
          title: opts.title,
          priority: opts.priority,
        },
        { commandId: ctx.newId() },
      );
      ctx.emit(reply, () =>
        reply.workflowId === null
          ? `Work item ${reply.itemId} accepted; no workflow takes type "${opts.type}", so no run was started.`
          : `Work item ${reply.itemId} routed to ${reply.workflowId}: run ${reply.runId ?? '(none)'}. Follow it with: baton workflows status ${reply.runId ?? ''}`,
      );
    });
}
