import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ListConflicts, ResolveConflict, type CommandEnvelope, type ConflictView, type DataOf, type QueryEnvelope } from '@baton/contracts';
import { commandContextOf } from '@baton/aggregate';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import { ConflictService } from '../app/conflict.service';

/** Nest injection token of the conflict use cases. */
export const CONFLICT_SERVICE = Symbol.for('baton.scheduler.ConflictService');

/** `baton.cmd.scheduler.resolve-conflict` and `baton.qry.scheduler.list-conflicts` (contracts: `libs/contracts/src/conflict.messages.ts`). Requests arrive validated. */
@Controller()
export class ConflictNatsController {
  constructor(@Inject(CONFLICT_SERVICE) private readonly conflicts: ConflictService) {}

  @CommandHandler(ResolveConflict)
  resolve(@Payload() cmd: CommandEnvelope<DataOf<typeof ResolveConflict>>, @Ctx() ctx: BatonRpcContext): Promise<ConflictView> {
    return this.conflicts.resolve(cmd, commandContextOf(cmd, ctx, ctx.getSubject()));
  }

  @QueryHandler(ListConflicts)
  list(@Payload() q: QueryEnvelope<DataOf<typeof ListConflicts>>): Promise<{ conflicts: ConflictView[] }> {
    return this.conflicts.list(q.data);
  }
}
