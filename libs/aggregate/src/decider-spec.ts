import assert from 'node:assert/strict';
import { errorCodeOf } from '@baton/contracts';
import { foldWith, type DomainEvent } from './aggregate';

/** The pure parts of an aggregate a decider spec runs. */
export interface Decider<S, C, E, Env = void> {
  readonly initialState: S;
  readonly evolve: (state: S, event: E) => S;
  readonly decide: (command: C, state: S, env: Env) => readonly E[];
}

export interface DeciderWhen<S, E> {
  /** The events decided must equal these (deep, strict). Returns the state after them. */
  then(expected: readonly E[]): S;
  /** Deciding must throw a Baton error with this code (and, if given, a message matching `message`). */
  thenThrows(code: string, message?: RegExp): void;
  /** The events decided, for assertions of your own. */
  events(): readonly E[];
  /** The state after the given events and the decided ones. */
  state(): S;
}

export interface DeciderGiven<S, C, E> {
  when(command: C): DeciderWhen<S, E>;
  /** The state after the given events. */
  state(): S;
}

/**
 * given / when / then for a decider, with no I/O and no mocks: past events, one command, the
 * events out (or the error code).
 *
 * @example
 * const spec = deciderSpec({ initialState: initialAgentState, evolve, decide });
 * spec.given([registered]).when(removeAgent).then([{ type: 'AgentRemoved', data: { agentId } }]);
 * spec.given([]).when(removeAgent).thenThrows('NOT_FOUND');
 */
export function deciderSpec<S, C, E extends DomainEvent, Env = void>(decider: Decider<S, C, E, Env>, env?: Env): { given(events: readonly E[]): DeciderGiven<S, C, E> } {
  return {
    given(past) {
      const before = foldWith(decider, past);
      return {
        state: () => before,
        when(command) {
          const decideNow = () => decider.decide(command, before, env as Env);
          return {
            then(expected) {
              const events = decideNow();
              assert.deepStrictEqual(events, expected);
              return foldWith({ initialState: before, evolve: decider.evolve }, events);
            },
            thenThrows(code, message) {
              let thrown: unknown;
              try {
                decideNow();
              } catch (err) {
                thrown = err;
              }
              assert.ok(thrown !== undefined, `expected ${command !== null && typeof command === 'object' && 'type' in command ? String(command.type) : 'the command'} to throw ${code}, but it decided events`);
              assert.equal(errorCodeOf(thrown), code, `expected error code ${code}, got ${errorCodeOf(thrown)}: ${(thrown as Error)?.message}`);
              if (message !== undefined) assert.match((thrown as Error).message, message);
            },
            events: decideNow,
            state: () => foldWith({ initialState: before, evolve: decider.evolve }, decideNow()),
          };
        },
      };
    },
  };
}
