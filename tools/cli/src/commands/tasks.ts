import { Option, type Command } from '@commander-js/extra-typings';
import { ListTasks, ReassignTask, TaskStatus } from '@baton/contracts';
import { limitOption, parseName, reasonOption, statusOption } from '../args';
import type { CliContext } from '../context';
import { formatTasks, toneOf } from '../format';
import { asOption, humanActor } from './approvals';

export function registerTaskCommands(program: Command, ctx: CliContext): void {
  const tasks = program.command('tasks').description('tasks the scheduler queues and assigns');

  tasks
    .command('list')
    .description('list tasks in queue order')
    .addOption(statusOption('tasks', TaskStatus.options))
    .option('--run <runId>', 'only tasks of this run')
    .option('--agent <agentId>', 'only tasks of this agent')
    .addOption(limitOption())
    .action(async (opts) => {
      const { tasks: list } = await (await ctx.client()).query(ListTasks, {
        limit: opts.limit,
        status: opts.status,
        runId: opts.run,
        agentId: opts.agent,
      });
      ctx.emit({ tasks: list }, () => formatTasks(list, ctx.now(), ctx.paint));
    });

  tasks
    .command('reassign')
    .description('hand a task to another agent (reassign-task): it is released from its holder, if any, and assigned to --to; you are recorded as who did it')
    .argument('<taskId>', 'task id')
    .addOption(new Option('--to <agentId>', 'the agent that takes the task (registered and online)').argParser(parseName).makeOptionMandatory())
    .addOption(reasonOption('why (kept in the task history)'))
    .addOption(asOption())
    .action(async (taskId, opts) => {
      const actor = humanActor(ctx.deps.env, opts.as);
      const reply = await (await ctx.client()).command(ReassignTask, { taskId, toAgentId: opts.to, reason: opts.reason }, { commandId: ctx.newId(), actor });
      ctx.emit(reply, () => `task ${reply.taskId} reassigned to ${opts.to} (${ctx.paint(reply.status, toneOf(reply.status))}, lease epoch ${reply.leaseEpoch})`);
    });
}
