import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
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
import type { EventStore } from '@baton/event-store';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import type { Kysely } from 'kysely';
import { HandoffCommandHandler, type CommandContext, type HandoffRules } from '../app/handoff-command.handler';
import { getArtifact, getHandoff, listHandoffs, listHandoffSpecs } from '../app/handoff.queries';
import type { ArtifactStore } from '../app/ports';
import type { HandoffDatabase } from './handoffs.table';
import { ARTIFACT_STORE, EVENT_STORE, HANDOFF_COMMANDS, HANDOFF_RULES, READ_DB } from './tokens';

function contextOf(command: CommandEnvelope, ctx: BatonRpcContext): CommandContext {
  const traceparent = ctx.getHeader('traceparent');
  const tracestate = ctx.getHeader('tracestate');
  return {
    commandId: command.commandId,
    ...(command.causationId ? { causationId: command.causationId } : {}),
    trace: { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) },
  };
}

/** `baton.cmd.handoff-validator.*` and `baton.qry.handoff-validator.*`; requests arrive validated by the transport. */
@Controller()
export class HandoffValidatorNatsController {
  constructor(
    @Inject(HANDOFF_COMMANDS) private readonly commands: HandoffCommandHandler,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_DB) private readonly db: Kysely<HandoffDatabase>,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(HANDOFF_RULES) private readonly rules: HandoffRules,
  ) {}

  @CommandHandler(ValidateHandoff)
  validateHandoff(@Payload() command: CommandEnvelope<DataOf<typeof ValidateHandoff>>, @Ctx() ctx: BatonRpcContext): Promise<HandoffVerdict> {
    return this.commands.validate(command.data, contextOf(command, ctx));
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
    return getHandoff(this.store, query.data.handoffId);
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
