import { Option, type Command } from '@commander-js/extra-typings';
import { ListTasks, TaskStatus } from '@baton/contracts';
import { oneOf, parsePositiveInt } from '../args';
import type { CliContext } from '../context';
import { formatTasks } from '../format';

export function registerTaskCommands(program: Command, ctx: CliContext): void {
  const tasks = program.command('tasks').description('tasks the scheduler queues and assigns');

  tasks
    .command('list')
    .description('list tasks in queue order')
    .addOption(new Option('--status <status>', `only tasks with this status (${TaskStatus.options.join(', ')})`).argParser(oneOf(TaskStatus.options)))
    .option('--run <runId>', 'only tasks of this run')
    .option('--agent <agentId>', 'only tasks of this agent')
    .addOption(new Option('--limit <n>', 'at most this many (1-1000)').argParser(parsePositiveInt).default(100))
    .action(async (opts) => {
      const { tasks: list } = await (await ctx.client()).query(ListTasks, {
        limit: Math.min(opts.limit, 1000),
        ...(opts.status === undefined ? {} : { status: opts.status }),
        ...(opts.run === undefined ? {} : { runId: opts.run }),
        ...(opts.agent === undefined ? {} : { agentId: opts.agent }),
      });
      ctx.emit({ tasks: list }, () => formatTasks(list, ctx.now(), ctx.paint));
    });
}
