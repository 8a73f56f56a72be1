import { commandContextOf } from '@baton/aggregate';
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
import { EscalationService } from '../app/escalation.service';
import { getEscalation, listEscalations } from '../app/get-escalation.query';
import type { EscalationDatabase } from '../read-model/escalation.tables';
import { ESCALATION_SERVICE, READ_DB } from './tokens';

/** `baton.cmd.escalation.*` and `baton.qry.escalation.*`; requests arrive validated by the transport. */
@Controller()
export class EscalationNatsController {
  constructor(
    @Inject(ESCALATION_SERVICE) private readonly escalations: EscalationService,
    @Inject(READ_DB) private readonly db: Kysely<EscalationDatabase>,
  ) {}

  @CommandHandler(RaiseEscalation)
  raiseEscalation(@Payload() command: CommandEnvelope<DataOf<typeof RaiseEscalation>>, @Ctx() ctx: BatonRpcContext): Promise<EscalationView> {
    return this.escalations.raise(command, commandContextOf(command, ctx, ctx.getSubject()));
  }

  @CommandHandler(ResolveEscalation)
  resolveEscalation(@Payload() command: CommandEnvelope<DataOf<typeof ResolveEscalation>>, @Ctx() ctx: BatonRpcContext): Promise<EscalationView> {
    return this.escalations.resolve(command, commandContextOf(command, ctx, ctx.getSubject()));
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
