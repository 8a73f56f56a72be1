import { BatonError } from '@baton/contracts';
import { unhandled } from './aggregate';

/**
 * One handler per command type of an aggregate: each gets its command narrowed to that type.
 * A command type without a handler fails the build, like the `never` check of a `switch`.
 */
export type CommandHandlers<C extends { readonly type: string }, S, E, Env = void> = {
  readonly [K in C['type']]: (command: Extract<C, { readonly type: K }>, state: S, env: Env) => E[];
};

/**
 * A decide function that hands each command to the handler for its type. A command whose type
 * has no handler (one from a newer service, say) is the INTERNAL error of {@link unhandled}.
 *
 * @example
 * export const decide = decideByType<AgentCommand, AgentState, AgentEvent>('agent', {
 *   RegisterAgent: register,
 *   RemoveAgent: remove,
 * });
 */
export function decideByType<C extends { readonly type: string }, S, E, Env = void>(
  aggregate: string,
  handlers: CommandHandlers<C, S, E, Env>,
): (command: C, state: S, env: Env) => E[] {
  return (command, state, env) => {
    if (!Object.hasOwn(handlers, command.type)) return unhandled(aggregate, 'command', command as never);
    const handler = handlers[command.type as C['type']] as (command: C, state: S, env: Env) => E[];
    return handler(command, state, env);
  };
}

/**
 * For an `evolve` whose state says whether the aggregate `exists`: the state for an event that
 * only follows the stream's first event. Before that first event the stream is corrupt or misread:
 * an INTERNAL error, `<event type> before <first event type>`.
 *
 * @example
 * case 'ConflictNeedsDecision':
 *   return { ...existingState(state, event.type, 'ConflictDetected'), needsDecision: true };
 */
export function existingState<S extends { readonly exists: boolean }>(state: S, eventType: string, firstEventType: string): Extract<S, { readonly exists: true }> {
  if (!state.exists) throw new BatonError('INTERNAL', `${eventType} before ${firstEventType}`);
  return state as Extract<S, { readonly exists: true }>;
}
