import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { commandContextOf } from '@baton/aggregate';
import {
  GetArtifact,
  GetHandoff,
  ListHandoffs,
  ListHandoffSpecs,
  PutArtifact,
  ValidateHandoff,
  type ArtifactRef,
  type CommandEnvelope,
  type DataOf,
  type HandoffVerdict,
  type HandoffView,
  type QueryEnvelope,
  type ReplyOf,
} from '@baton/contracts';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import { BatonAttributes, inSpan } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import { HandoffCommandHandler, type HandoffRules, type HandoffRunner } from '../app/handoff-command.handler';
import { getArtifact, getHandoff, listHandoffs, listHandoffSpecs } from '../app/handoff.queries';
import type { ArtifactStore } from '../app/ports';
import type { HandoffDatabase } from '../read-model/handoffs.table';
import { ARTIFACT_STORE, HANDOFF_COMMANDS, HANDOFF_RULES, HANDOFF_RUNNER, READ_DB } from './tokens';

/** `baton.cmd.handoff-validator.*` and `baton.qry.handoff-validator.*`; requests arrive validated by the transport. */
@Controller()
export class HandoffValidatorNatsController {
  constructor(
    @Inject(HANDOFF_COMMANDS) private readonly commands: HandoffCommandHandler,
    @Inject(HANDOFF_RUNNER) private readonly handoffs: HandoffRunner,
    @Inject(READ_DB) private readonly db: Kysely<HandoffDatabase>,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(HANDOFF_RULES) private readonly rules: HandoffRules,
  ) {}

  /** Each validation is a span `validate handoff` with its verdict; the verdict's events are recorded under it. */
  @CommandHandler(ValidateHandoff)
  validateHandoff(@Payload() command: CommandEnvelope<DataOf<typeof ValidateHandoff>>, @Ctx() ctx: BatonRpcContext): Promise<HandoffVerdict> {
    const d = command.data;
    return inSpan(
      'validate handoff',
      {
        attributes: () => ({
          'baton.handoff.id': d.handoffId,
          ...(d.taskId ? { [BatonAttributes.taskId]: d.taskId } : {}),
          ...(d.runId ? { [BatonAttributes.runId]: d.runId } : {}),
          ...(d.stageId ? { [BatonAttributes.stageId]: d.stageId } : {}),
          'baton.handoff.artifacts': d.artifacts.length + d.artifactRefs.length,
        }),
      },
      async (span) => {
        const verdict = await this.commands.validate(d, commandContextOf(command, ctx, ctx.getSubject()));
        if (span.isRecording()) {
          span.setAttributes({ 'baton.handoff.status': verdict.status, 'baton.handoff.failures': verdict.failures.length, 'baton.handoff.specs': verdict.specIds.join(',') });
        }
        return verdict;
      },
    );
  }

  @CommandHandler(PutArtifact)
  putArtifact(@Payload() command: CommandEnvelope<DataOf<typeof PutArtifact>>): Promise<ArtifactRef> {
    return this.commands.putArtifact(command.data);
  }

  @QueryHandler(GetArtifact)
  getArtifact(@Payload() query: QueryEnvelope<DataOf<typeof GetArtifact>>): Promise<ReplyOf<typeof GetArtifact>> {
    return getArtifact(this.artifacts, query.data.hash);
  }

  @QueryHandler(GetHandoff)
  getHandoff(@Payload() query: QueryEnvelope<DataOf<typeof GetHandoff>>): Promise<HandoffView> {
    return getHandoff(this.handoffs, query.data.handoffId);
  }

  @QueryHandler(ListHandoffs)
  async listHandoffs(@Payload() query: QueryEnvelope<DataOf<typeof ListHandoffs>>): Promise<{ handoffs: HandoffView[] }> {
    return { handoffs: await listHandoffs(this.db, query.data) };
  }

  @QueryHandler(ListHandoffSpecs)
  listHandoffSpecs(): ReplyOf<typeof ListHandoffSpecs> {
    return listHandoffSpecs(this.rules);
  }
}
