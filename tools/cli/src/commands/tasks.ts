import { Option, type Command } from '@commander-js/extra-typings';
import { ListTasks, ReassignTask, TaskStatus } from '@baton/contracts';
import { limitOption, parseName, reasonOption, runOption } from '../args';
import type { CliContext } from '../context';
import { formatTasks, toneOf } from '../format';
import { asOption, commandAsHuman } from './approvals';
import { listCommand } from './command-builders';

export function registerTaskCommands(program: Command, ctx: CliContext): void {
  const tasks = program.command('tasks').description('tasks the scheduler queues and assigns');

  listCommand(tasks, 'tasks', 'list tasks in queue order', TaskStatus.options)
    .addOption(runOption('tasks'))
    .option('--agent <agentId>', 'only tasks of this agent')
    .addOption(limitOption())
    .action(async (opts) => {
      await ctx.printList(ListTasks, { limit: opts.limit, status: opts.status, runId: opts.run, agentId: opts.agent }, 'tasks', formatTasks);
    });

  tasks
    .command('reassign')
    .description('hand a task to another agent (reassign-task): it is released from its holder, if any, and assigned to --to; you are recorded as who did it')
    .argument('<taskId>', 'task id')
    .addOption(new Option('--to <agentId>', 'the agent that takes the task (registered and online)').argParser(parseName).makeOptionMandatory())
    .addOption(reasonOption('why (kept in the task history)'))
    .addOption(asOption())
    .action(async (taskId, opts) => {
      const { reply } = await commandAsHuman(ctx, ReassignTask, { taskId, toAgentId: opts.to, reason: opts.reason }, opts.as);
      ctx.emit(reply, () => `task ${reply.taskId} reassigned to ${opts.to} (${ctx.paint(reply.status, toneOf(reply.status))}, lease epoch ${reply.leaseEpoch})`);
    });
}
