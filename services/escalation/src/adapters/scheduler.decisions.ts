import { ApproveStage, ReassignTask, RejectStage } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DecisionContext, StageDecisions } from '../app/ports';

/** `baton.cmd.scheduler.approve-stage` / `reject-stage` / `reassign-task`, sent as the resolving actor. */
export class SchedulerStageDecisions implements StageDecisions {
  private readonly client: BatonClient;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.client = new BatonClient(nc, { timeoutMs });
  }

  async approveStage(runId: string, stageId: string, reason: string, ctx: DecisionContext): Promise<void> {
    await this.client.command(ApproveStage, { runId, stageId, reason }, this.options(ctx));
  }

  async rejectStage(runId: string, stageId: string, reason: string, ctx: DecisionContext): Promise<void> {
    await this.client.command(RejectStage, { runId, stageId, reason }, this.options(ctx));
  }

  async reassignTask(taskId: string, toAgentId: string, reason: string, ctx: DecisionContext): Promise<void> {
    await this.client.command(ReassignTask, { taskId, toAgentId, reason }, this.options(ctx));
  }

  private options(ctx: DecisionContext) {
    return { commandId: ctx.commandId, actor: ctx.actor, ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}) };
  }
}
