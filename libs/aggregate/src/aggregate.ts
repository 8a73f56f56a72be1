import { BatonError } from '@baton/contracts';
import type { Actor } from '@baton/contracts';
import type { z } from 'zod';
import { eventReader, type EventReader } from './event-reader';

/**
 * An aggregate whose stored events are read through the contract's schemas, every type at
 * version 1 (see {@link eventReader}): the spec with that reader as `read`, under `name`.
 *
 * @example
 * export const agentAggregate = contractAggregate<AgentState, AgentCommand, AgentEvent>('agent', AgentEventSchemas, {
 *   streamId: agentStreamId, initialState: initialAgentState, evolve, decide,
 * });
 */
export function contractAggregate<S, C, E extends DomainEvent>(
  name: string,
  schemas: Readonly<Record<string, z.ZodType>>,
  spec: Omit<AggregateSpec<S, C, E>, 'name' | 'read'>,
): AggregateSpec<S, C, E> {
  return { name, read: eventReader<E>(name, schemas), ...spec };
}

/** What every command of every aggregate carries from the kernel: its id and the clock's now. */
export interface CommandMetadata {
  readonly commandId: string;
  /** ISO-8601, from the injected clock. */
  readonly now: string;
}

/** An aggregate's events: plain `{ type, data }` records, one union per aggregate. */
export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

/**
 * An aggregate as the kernel runs it: pure parts (decide, evolve, the initial state), how its
 * stream is named and read, and which run its events belong to. Declared in the service's
 * domain; the command runner in `app/` executes it.
 *
 * `Env` is what `decide` needs besides the state and the command that the kernel cannot know
 * (a run's pinned workflow definition, say): the runner's `environment` option supplies it.
 *
 * @example
 * export const agentAggregate: AggregateSpec<AgentState, AgentCommand, AgentEvent> = {
 *   name: 'agent', streamId: agentStreamId, read: toAgentEvent,
 *   initialState: initialAgentState, evolve, decide,
 * };
 */
export interface AggregateSpec<S, C, E extends DomainEvent, Env = void> {
  /** For messages and metrics: `agent`, `task`, `run` … */
  readonly name: string;
  readonly streamId: (id: string) => string;
  readonly read: EventReader<E>;
  readonly initialState: S;
  readonly evolve: (state: S, event: E) => S;
  readonly decide: (command: C, state: S, env: Env) => readonly E[];
  /** The run an event belongs to (its correlation id); default: the command context's. */
  readonly correlationOf?: (event: E, state: S) => string | null | undefined;
  /** The actor of events whose command context names none (commands a service sends itself). */
  readonly defaultActor?: Actor;
  /** Schema version of each event type as written now (default 1). */
  readonly schemaVersionOf?: (event: E) => number;
  /**
   * True when the hot path sends the stream no more commands (a finished task): the command
   * runner then does not keep its state cached, so a long drain does not fill the cache with
   * streams that are done. A late command (a repeat, a refusal to answer) reads it again.
   */
  readonly settled?: (state: S) => boolean;
}

/** Folds events from the initial state. */
export function foldWith<S, E>(spec: { readonly initialState: S; readonly evolve: (state: S, event: E) => S }, events: readonly E[]): S {
  let state = spec.initialState;
  for (const e of events) state = spec.evolve(state, e);
  return state;
}

/**
 * The `default` branch of a decider's or evolver's `switch` on `type`: the `never` parameter
 * fails the build when a new command or event is not handled, and a value that slips through
 * at run time (a stored event of a newer service) is an INTERNAL error naming it.
 *
 * @example
 * default:
 *   return unhandled('agent', 'command', command);
 */
export function unhandled(aggregate: string, kind: 'command' | 'event', message: never): never {
  throw new BatonError('INTERNAL', `unhandled ${aggregate} ${kind} ${String((message as { type?: unknown } | null)?.type)}`);
}
