import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  GetEscalation,
  ListEscalations,
  RaiseEscalation,
  ResolveEscalation,
  type CommandEnvelope,
  type DataOf,
  type EscalationView,
  type QueryEnvelope,
} from '@baton/contracts';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import type { Kysely } from 'kysely';
import type { CommandContext } from '../app/escalation-command.handler';
import { EscalationService } from '../app/escalation.service';
import { getEscalation, listEscalations } from '../app/get-escalation.query';
import type { EscalationDatabase } from './escalation.tables';
import { ESCALATION_SERVICE, READ_DB } from './tokens';

function contextOf(command: CommandEnvelope, ctx: BatonRpcContext): CommandContext {
  const traceparent = ctx.getHeader('traceparent');
  const tracestate = ctx.getHeader('tracestate');
  return {
    commandId: command.commandId,
    ...(command.correlationId ? { correlationId: command.correlationId } : {}),
    ...(command.causationId ? { causationId: command.causationId } : {}),
    ...(command.actor ? { actor: command.actor } : {}),
    trace: { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) },
  };
}

/** `baton.cmd.escalation.*` and `baton.qry.escalation.*`; requests arrive validated by the transport. */
@Controller()
export class EscalationNatsController {
  constructor(
    @Inject(ESCALATION_SERVICE) private readonly escalations: EscalationService,
    @Inject(READ_DB) private readonly db: Kysely<EscalationDatabase>,
  ) {}

  @CommandHandler(RaiseEscalation)
  raiseEscalation(@Payload() command: CommandEnvelope<DataOf<typeof RaiseEscalation>>, @Ctx() ctx: BatonRpcContext): Promise<EscalationView> {
    return this.escalations.raise(command, contextOf(command, ctx));
  }

  @CommandHandler(ResolveEscalation)
  resolveEscalation(@Payload() command: CommandEnvelope<DataOf<typeof ResolveEscalation>>, @Ctx() ctx: BatonRpcContext): Promise<EscalationView> {
    return this.escalations.resolve(command, contextOf(command, ctx));
  }

  @QueryHandler(GetEscalation)
  getEscalation(@Payload() query: QueryEnvelope<DataOf<typeof GetEscalation>>): Promise<EscalationView> {
    return getEscalation(this.db, query.data.escalationId);
  }

  @QueryHandler(ListEscalations)
  async listEscalations(@Payload() query: QueryEnvelope<DataOf<typeof ListEscalations>>): Promise<{ escalations: EscalationView[] }> {
    return { escalations: await listEscalations(this.db, query.data) };
  }
}
