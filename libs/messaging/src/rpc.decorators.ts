import { applyDecorators, SetMetadata, UseFilters } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { MessageDefinition } from '@baton/contracts';
import { BatonRpcExceptionFilter } from './rpc-exception.filter';

/** Key, in the handler's Nest `extras` and metadata, of the {@link MessageDefinition} it serves. */
export const BATON_MESSAGE_DEFINITION = 'batonMessageDefinition';

function handlerFor(kind: 'command' | 'query', def: MessageDefinition): MethodDecorator {
  if (def.kind !== kind) {
    throw new Error(`@${kind === 'command' ? 'CommandHandler' : 'QueryHandler'}(${def.subject}): that definition is a ${def.kind}`);
  }
  return applyDecorators(
    MessagePattern(def.subject, { [BATON_MESSAGE_DEFINITION]: def }),
    SetMetadata(BATON_MESSAGE_DEFINITION, def),
    UseFilters(BatonRpcExceptionFilter),
  );
}

/**
 * Marks a controller method as the handler of a command. The {@link BatonRpcTransport}
 * subscribes the command's subject in the service's queue group, validates each request
 * before the method runs, and validates what it returns against the reply schema. The
 * reply (`{ok: true, data}`) is sent only after the returned promise resolves, so return
 * after the append. Errors become `{ok: false, error}` through {@link BatonRpcExceptionFilter}.
 *
 * @example
 * @CommandHandler(RegisterAgent)
 * async register(@Payload() cmd: CommandEnvelope<DataOf<typeof RegisterAgent>>, @Ctx() ctx: BatonRpcContext) {
 *   const r = await this.app.register(cmd);   // appends, then returns
 *   return { agentId: cmd.data.agentId, revision: r.nextExpectedRevision };
 * }
 */
export function CommandHandler(def: MessageDefinition): MethodDecorator {
  return handlerFor('command', def);
}

/**
 * Marks a controller method as the handler of a query; see {@link CommandHandler}.
 * The method receives a `QueryEnvelope<T>`.
 *
 * @example
 * @QueryHandler(GetAgent)
 * get(@Payload() q: QueryEnvelope<DataOf<typeof GetAgent>>) { return this.views.get(q.data.agentId); }
 */
export function QueryHandler(def: MessageDefinition): MethodDecorator {
  return handlerFor('query', def);
}
