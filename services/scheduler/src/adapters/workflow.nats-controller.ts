import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { commandContextOf } from '@baton/aggregate';
import {
  ApproveStage,
  CancelRun,
  RerunRun,
  RejectStage,
  ReplayRun,
  GetRun,
  GetRunAudit,
  GetWorkflow,
  ListRuns,
  ListWorkflows,
  PauseRun,
  RegisterWorkflow,
  ResumeRun,
  StartRun,
  SubmitWorkItem,
  ValidateWorkflow,
  type CommandEnvelope,
  type DataOf,
  type QueryEnvelope,
  type ReplyOf,
} from '@baton/contracts';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import { RunService } from '../app/run.service';
import { RUN_SERVICE } from './tokens';

type Cmd<D> = CommandEnvelope<DataOf<D>>;
type Qry<D> = QueryEnvelope<DataOf<D>>;

/** Workflow definitions and runs: `baton.cmd.scheduler.{register-workflow, validate-workflow, start-run, cancel-run, pause-run, resume-run, submit-work-item}` and `baton.qry.scheduler.{list-workflows, get-workflow, get-run, list-runs}`. */
@Controller()
export class WorkflowNatsController {
  constructor(@Inject(RUN_SERVICE) private readonly runs: RunService) {}

  @CommandHandler(RegisterWorkflow)
  async register(@Payload() cmd: Cmd<typeof RegisterWorkflow>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof RegisterWorkflow>> {
    const r = await this.runs.register(cmd.data.yaml, cmd.data.file, commandContextOf(cmd, ctx, ctx.getSubject()));
    return { workflowId: r.workflowId, version: r.version, hash: r.hash, created: r.created };
  }

  @CommandHandler(ValidateWorkflow)
  validate(@Payload() cmd: Cmd<typeof ValidateWorkflow>): ReplyOf<typeof ValidateWorkflow> {
    return this.runs.validate(cmd.data.yaml, cmd.data.file);
  }

  @CommandHandler(StartRun)
  async start(@Payload() cmd: Cmd<typeof StartRun>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof StartRun>> {
    const d = cmd.data;
    const startedBy = await this.runs.actors.actorOf(cmd, ctx, ctx.getSubject());
    return this.runs.startRun(
      {
        workflowId: d.workflowId,
        ...(d.version ? { version: d.version } : {}),
        params: d.params,
        priority: d.priority,
        ...(d.runId ? { runId: d.runId } : {}),
        ...(startedBy ? { startedBy } : {}),
      },
      commandContextOf(cmd, ctx, ctx.getSubject()),
    );
  }

  @CommandHandler(RerunRun)
  async rerun(@Payload() cmd: Cmd<typeof RerunRun>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof RerunRun>> {
    const d = cmd.data;
    // The rerun's starter may not approve its stages, so it is established like a start's.
    const by = await this.runs.actors.actorOf(cmd, ctx, ctx.getSubject());
    return this.runs.rerun(
      {
        sourceRunId: d.runId,
        fromStage: d.fromStage,
        ...(d.newRunId ? { newRunId: d.newRunId } : {}),
        ...(d.reason ? { reason: d.reason } : {}),
        ...(by ? { by } : {}),
      },
      commandContextOf(cmd, ctx, ctx.getSubject()),
    );
  }

  @CommandHandler(CancelRun)
  cancel(@Payload() cmd: Cmd<typeof CancelRun>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof CancelRun>> {
    return this.runs.control('CancelRun', cmd, commandContextOf(cmd, ctx, ctx.getSubject()));
  }

  @CommandHandler(PauseRun)
  pause(@Payload() cmd: Cmd<typeof PauseRun>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof PauseRun>> {
    return this.runs.control('PauseRun', cmd, commandContextOf(cmd, ctx, ctx.getSubject()));
  }

  @CommandHandler(ResumeRun)
  resume(@Payload() cmd: Cmd<typeof ResumeRun>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof ResumeRun>> {
    return this.runs.control('ResumeRun', cmd, commandContextOf(cmd, ctx, ctx.getSubject()));
  }

  @CommandHandler(ApproveStage)
  async approve(@Payload() cmd: Cmd<typeof ApproveStage>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof ApproveStage>> {
    return this.runs.decideStage('ApproveStage', await this.decider(cmd, ctx), commandContextOf(cmd, ctx, ctx.getSubject()));
  }

  @CommandHandler(RejectStage)
  async reject(@Payload() cmd: Cmd<typeof RejectStage>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof RejectStage>> {
    return this.runs.decideStage('RejectStage', await this.decider(cmd, ctx), commandContextOf(cmd, ctx, ctx.getSubject()));
  }

  /** The decision's envelope with its actor as the run service's actor check establishes it. */
  private async decider<C extends Cmd<typeof ApproveStage>>(cmd: C, ctx: BatonRpcContext): Promise<C> {
    const actor = await this.runs.actors.actorOf(cmd, ctx, ctx.getSubject());
    const { actor: _claimed, ...rest } = cmd;
    return (actor === undefined ? rest : { ...rest, actor }) as C;
  }

  @QueryHandler(GetRunAudit)
  audit(@Payload() q: Qry<typeof GetRunAudit>): Promise<ReplyOf<typeof GetRunAudit>> {
    return this.runs.audit(q.data.runId, q.data.maxScanned);
  }

  @QueryHandler(ReplayRun)
  replay(@Payload() q: Qry<typeof ReplayRun>): Promise<ReplyOf<typeof ReplayRun>> {
    return this.runs.replay(q.data.runId, { ...(q.data.at === undefined ? {} : { at: q.data.at }), ...(q.data.revision === undefined ? {} : { revision: q.data.revision }) });
  }

  @CommandHandler(SubmitWorkItem)
  submitWorkItem(@Payload() cmd: Cmd<typeof SubmitWorkItem>, @Ctx() ctx: BatonRpcContext): Promise<ReplyOf<typeof SubmitWorkItem>> {
    const d = cmd.data;
    return this.runs.submitWorkItem(
      { itemId: d.itemId, type: d.type, payload: d.payload, ...(d.title === undefined ? {} : { title: d.title }), ...(d.priority === undefined ? {} : { priority: d.priority }) },
      commandContextOf(cmd, ctx, ctx.getSubject()),
    );
  }

  @QueryHandler(ListWorkflows)
  listWorkflows(): Promise<ReplyOf<typeof ListWorkflows>> {
    return this.runs.listWorkflows();
  }

  @QueryHandler(GetWorkflow)
  getWorkflow(@Payload() q: Qry<typeof GetWorkflow>): Promise<ReplyOf<typeof GetWorkflow>> {
    return this.runs.getWorkflow(q.data.workflowId, q.data.version);
  }

  @QueryHandler(GetRun)
  getRun(@Payload() q: Qry<typeof GetRun>): Promise<ReplyOf<typeof GetRun>> {
    return this.runs.getRun(q.data.runId);
  }

  @QueryHandler(ListRuns)
  listRuns(@Payload() q: Qry<typeof ListRuns>): Promise<ReplyOf<typeof ListRuns>> {
    return this.runs.listRuns({ limit: q.data.limit, ...(q.data.workflowId ? { workflowId: q.data.workflowId } : {}), ...(q.data.state ? { state: q.data.state } : {}) });
  }
}
