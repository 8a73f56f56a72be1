import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  AcceptTask,
  CancelTask,
  ClaimTask,
  CompleteTask,
  FailTask,
  GetTask,
  ListTasks,
  ReportBlocked,
  ReportProgress,
  ReportUnblocked,
  ReassignTask,
  SubmitTask,
  type AgentInboxAssignment,
  type CommandEnvelope,
  type DataOf,
  type QueryEnvelope,
  type TaskCommandReply,
  type TaskView,
} from '@baton/contracts';
import { commandContextOf, type CommandContext } from '@baton/aggregate';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import { TaskService } from '../app/task.service';
import { TASK_SERVICE } from './tokens';

type Cmd<D> = CommandEnvelope<DataOf<D>>;

/** The request's command context; an envelope that names no actor acts for the agent it reports as (else an unknown system). */
function requestOf(cmd: CommandEnvelope<unknown>, rpc: BatonRpcContext, agentId?: string): CommandContext {
  const actor = agentId === undefined ? ({ kind: 'system', id: 'unknown' } as const) : ({ kind: 'agent', id: agentId } as const);
  return commandContextOf(cmd, rpc, rpc.getSubject(), cmd.actor === undefined ? { actor } : {});
}

/** `baton.cmd.scheduler.*` and `baton.qry.scheduler.*`: the task engine and the agent protocol. Requests arrive validated. */
@Controller()
export class SchedulerNatsController {
  constructor(@Inject(TASK_SERVICE) private readonly tasks: TaskService) {}

  @CommandHandler(SubmitTask)
  submit(@Payload() cmd: Cmd<typeof SubmitTask>, @Ctx() ctx: BatonRpcContext): Promise<{ taskId: string }> {
    return this.tasks.submit(cmd, requestOf(cmd, ctx));
  }

  @CommandHandler(AcceptTask)
  accept(@Payload() cmd: Cmd<typeof AcceptTask>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    return this.tasks.report(cmd, (metadata) => ({ type: 'AcceptTask', data: cmd.data, metadata }), requestOf(cmd, ctx, cmd.data.agentId));
  }

  @CommandHandler(ReportProgress)
  progress(@Payload() cmd: Cmd<typeof ReportProgress>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    const d = cmd.data;
    return this.tasks.report(
      cmd,
      (metadata) => ({
        type: 'ReportProgress',
        data: { taskId: d.taskId, agentId: d.agentId, leaseEpoch: d.leaseEpoch, percent: d.percent, message: d.message ?? null, tokensUsed: d.tokensUsed ?? null },
        metadata,
      }),
      requestOf(cmd, ctx, cmd.data.agentId),
    );
  }

  @CommandHandler(ReportBlocked)
  blocked(@Payload() cmd: Cmd<typeof ReportBlocked>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    return this.tasks.report(cmd, (metadata) => ({ type: 'ReportBlocked', data: cmd.data, metadata }), requestOf(cmd, ctx, cmd.data.agentId));
  }

  @CommandHandler(ReportUnblocked)
  unblocked(@Payload() cmd: Cmd<typeof ReportUnblocked>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    return this.tasks.report(cmd, (metadata) => ({ type: 'ReportUnblocked', data: cmd.data, metadata }), requestOf(cmd, ctx, cmd.data.agentId));
  }

  @CommandHandler(CompleteTask)
  complete(@Payload() cmd: Cmd<typeof CompleteTask>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    return this.tasks.complete(cmd, requestOf(cmd, ctx, cmd.data.agentId));
  }

  @CommandHandler(ReassignTask)
  reassign(@Payload() cmd: Cmd<typeof ReassignTask>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    return this.tasks.reassign(cmd, requestOf(cmd, ctx));
  }

  @CommandHandler(FailTask)
  fail(@Payload() cmd: Cmd<typeof FailTask>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    const d = cmd.data;
    return this.tasks.report(
      cmd,
      (metadata) => ({
        type: 'FailTask',
        data: { taskId: d.taskId, agentId: d.agentId, leaseEpoch: d.leaseEpoch, error: { message: d.error.message, code: d.error.code ?? null }, retryable: d.retryable },
        metadata,
      }),
      requestOf(cmd, ctx, cmd.data.agentId),
    );
  }

  @CommandHandler(ClaimTask)
  claim(@Payload() cmd: Cmd<typeof ClaimTask>, @Ctx() ctx: BatonRpcContext): Promise<AgentInboxAssignment> {
    return this.tasks.claim(cmd, requestOf(cmd, ctx, cmd.data.agentId));
  }

  @CommandHandler(CancelTask)
  cancel(@Payload() cmd: Cmd<typeof CancelTask>, @Ctx() ctx: BatonRpcContext): Promise<TaskCommandReply> {
    return this.tasks.cancel(cmd, requestOf(cmd, ctx));
  }

  @QueryHandler(GetTask)
  get(@Payload() q: QueryEnvelope<DataOf<typeof GetTask>>): Promise<TaskView> {
    return this.tasks.get(q.data.taskId);
  }

  @QueryHandler(ListTasks)
  list(@Payload() q: QueryEnvelope<DataOf<typeof ListTasks>>): Promise<{ tasks: TaskView[] }> {
    return this.tasks.list(q.data);
  }
}
