import { context, trace, type Link } from '@opentelemetry/api';
import { BatonError, errorCodeOf, type EventMetadata, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import type { AppendResult, EventStore, TogetherAppend } from '@baton/event-store';
import { BatonAttributes, contextOfTraceHeaders, inSpan, traceHeadersOf, traceIdOfHeaders, tracingEnabled, type TraceHeaders } from '@baton/telemetry';
import { foldWith, type AggregateSpec, type CommandMetadata, type DomainEvent } from './aggregate';
import type { Clock, IdSource } from './clock';
import type { CommandContext } from './command-context';

/**
 * How many times at least a command is decided before a lost race on the stream's revision is
 * reported (WRONG_EXPECTED_VERSION). One policy for every aggregate: a loser re-reads, so it sees
 * the winner's outcome (a repeat, CONFLICT, or nothing left to do).
 */
export const COMMAND_MAX_ATTEMPTS = 10;

/**
 * Past {@link COMMAND_MAX_ATTEMPTS}, a command that keeps losing is decided again until this long
 * after its first lost race. On a stream with many writers the replica that just won decides its
 * next command from memory and appends at once, while a loser must read first, so the winner tends
 * to win again; counted in attempts alone, a loser's ten could run out while the others' queues
 * drain, sooner the slower the machine (eight replicas racing 96 commands on one stream, on a
 * slow day: WRONG_EXPECTED_VERSION in three runs of three). Measured in time, every command gets
 * its turn once the others' are done.
 */
export const COMMAND_RETRY_WINDOW_MS = 2000;

/** A stream as the kernel knows it: its folded state and the commands already in it. */
export interface LoadedStream<S> {
  readonly streamId: string;
  readonly state: S;
  /** Revision of the stream's last event; -1 when the stream does not exist. */
  readonly revision: number;
}

export interface CommandResult<S, E> {
  readonly streamId: string;
  /** The state after the command (as it stands, for a repeat or a command that changed nothing). */
  readonly state: S;
  /** Revision of the stream after the command (-1 when the stream does not exist). */
  readonly revision: number;
  /** Events this call appended; empty for a repeat or a command that changed nothing. */
  readonly appended: readonly E[];
  /** Global position of the last appended event, to wait for read models. */
  readonly position: Position | undefined;
  /** True when the command id was already in the stream: the first outcome stands. */
  readonly repeat: boolean;
  /** The appended events as stored (ids and metadata), when this call appended. */
  readonly recorded?: readonly NewEvent[];
}

export interface ExecuteOptions<S, E, Env> {
  /** What `decide` needs besides state and command; default: the runner's `environment`. */
  readonly env?: (state: S) => Env | Promise<Env>;
  /**
   * Runs after the decision and before the append, only when there is something to append:
   * a side effect the append depends on (the scheduler approving a stage, say). If it throws,
   * nothing is appended.
   */
  readonly beforeAppend?: (state: S, events: readonly E[]) => Promise<void>;
  /**
   * The caller expects the stream not to exist yet (a create with a fresh id): decide on the
   * initial state without reading first. If the stream exists after all, the append at
   * `no_stream` is refused and the command is decided again on the stream as it is, so this
   * only saves a round trip; it never changes an outcome.
   */
  readonly assumeNew?: boolean;
}

export interface CommandRunnerOptions<S, Env, E = unknown> {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly environment?: (state: S, id: string) => Env | Promise<Env>;
  /**
   * Streams whose state is kept in memory between commands (least recently used go first; 0
   * turns the cache off; a stream the aggregate calls `settled` is not kept). A cached state is
   * never trusted blindly: an append checks it at the expected revision, and a decision that
   * appends nothing or fails re-reads the stream's tail.
   */
  readonly cacheSize?: number;
  /**
   * Told after each append of this runner commits (not for repeats or decisions that append
   * nothing), with the result: for work in the same process that need not wait for a read
   * model to apply the events. Must not throw (an error is dropped).
   */
  readonly onCommitted?: (result: CommandResult<S, E>) => void;
  /**
   * Asked after a decision that appends, before its append: another aggregate's decision that
   * follows from it (a run's step from the task ending it records), to commit in the same
   * transaction, or undefined. When the store cannot append them together (see
   * `EventStore.appendTogether`: it did not write), this append goes alone as usual and the
   * follow-up is the caller's to make after it, as without this option. `onCommitted` is told
   * of this runner's commit first, then the other runner's.
   */
  readonly alongside?: (decided: Decided<S, E>) => Promise<Alongside | undefined>;
}

/** A decision about to be appended (see {@link CommandRunnerOptions.alongside}). */
export interface Decided<S, E> {
  readonly streamId: string;
  /** The state once the events are appended. */
  readonly state: S;
  readonly events: readonly E[];
  /** The events as they will be stored (ids, metadata). */
  readonly recorded: readonly NewEvent[];
}

/**
 * Another aggregate's decision, to be committed in the same transaction as the one it was asked
 * for (see {@link CommandRunner.decideAlongside}).
 */
export interface Alongside {
  readonly appends: readonly TogetherAppend[];
  /** The appends committed with the other (their results in the same order): remembered; call the returned function to tell `onCommitted`. */
  committed(results: readonly AppendResult[]): () => void;
  /** They did not go: what was set aside for them is given back (nothing was written). */
  abandoned(): void;
}

/** Several decisions as one {@link Alongside}: committed in order, told in order. */
export function alongsideOf(parts: readonly Alongside[]): Alongside | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return {
    appends: parts.flatMap((p) => p.appends),
    committed: (results) => {
      let at = 0;
      const tells = parts.map((p) => {
        const mine = results.slice(at, at + p.appends.length);
        at += p.appends.length;
        return p.committed(mine);
      });
      return () => {
        for (const tell of tells) tell();
      };
    },
    abandoned: () => {
      for (const p of parts) p.abandoned();
    },
  };
}

interface CommandMark {
  readonly revision: number;
  readonly fingerprint: string | undefined;
}

/** What the kernel knows of a stream. Replaced, never changed, except that `commands` only grows. */
interface StreamEntry<S> {
  readonly state: S;
  readonly revision: number;
  readonly commands: Map<string, CommandMark>;
  /** The trace stored with the stream's first event: the trace the stream belongs to. */
  readonly trace?: TraceHeaders | undefined;
}

/** One {@link CommandRunner.execute} call, carried from the stream's queue to the append. */
interface Execution<S, C, E, Env> {
  readonly id: string;
  readonly streamId: string;
  readonly build: (metadata: CommandMetadata) => C;
  readonly ctx: CommandContext;
  readonly options: ExecuteOptions<S, E, Env>;
}

/** A decision on its way to the store: what remembering it once committed takes. */
interface Appending<S, E> {
  readonly streamId: string;
  /** The entry it was decided on. */
  readonly base: StreamEntry<S>;
  readonly events: readonly E[];
  /** The state once they are appended. */
  readonly state: S;
  readonly recorded: readonly NewEvent[];
  readonly ctx: CommandContext;
  /** The trace stored with the events. */
  readonly stored: TraceHeaders | undefined;
}

/** Span links to stored traces (the ones that parse). */
function linksTo(traces: readonly (TraceHeaders | undefined)[]): Link[] {
  const links: Link[] = [];
  for (const t of traces) {
    const sc = t?.traceparent ? trace.getSpanContext(contextOfTraceHeaders(t)) : undefined;
    if (sc) links.push({ context: sc });
  }
  return links;
}

/** Where a command's span goes, and what it links to: see {@link CommandRunner}. */
function commandSpanParent(ctx: CommandContext, origin: TraceHeaders | undefined): { parent: ReturnType<typeof context.active>; links?: Link[] } {
  const request = ctx.trace;
  const causes = ctx.causes ?? [];
  const withLinks = (parent: ReturnType<typeof context.active>, linked: readonly (TraceHeaders | undefined)[]) => {
    const links = linksTo(linked);
    return links.length > 0 ? { parent, links } : { parent };
  };
  if (request?.traceparent && (!origin?.traceparent || traceIdOfHeaders(request) === traceIdOfHeaders(origin))) return withLinks(contextOfTraceHeaders(request), causes);
  if (origin?.traceparent) return withLinks(contextOfTraceHeaders(origin), [request, ...causes]);
  return withLinks(context.active(), causes);
}

/** The same command id came back asking for something else. */
export class IdempotencyConflictError extends BatonError {
  constructor(streamId: string, commandId: string) {
    super(
      'IDEMPOTENCY_CONFLICT',
      `command id ${commandId} was already used on ${streamId} for a different request; send a new command id for a new request`,
      { streamId, commandId },
    );
    this.name = 'IdempotencyConflictError';
  }
}

/**
 * The command kernel: runs any command of one aggregate. Load (or take the cached state) →
 * decide → append at the expected revision, with the command id as idempotency key; a command
 * id already in the stream returns the first outcome (or IDEMPOTENCY_CONFLICT when the request
 * differs); a lost race re-reads and decides again. Every event's metadata (time, command,
 * correlation, causation, actor, trace) is set here and nowhere else.
 *
 * Tracing: a stream belongs to one trace, the one stored with its first event (a run's events
 * are the run's trace, a task's its task's). Each command runs in a span `<aggregate> <Command>`
 * whose context is stored with the events it appends, so what reacts to them continues the
 * trace. The span's parent is the command context's trace when that is part of the stream's
 * trace (or the stream has none yet); otherwise, e.g. a person approving a stage from their own
 * trace, or a service's timer with no trace at all, it is the stream's first span, with a link
 * to the request's span. The context's `causes` (the event a process manager reacts to) are
 * links too. Tracing off: no span; the events carry the command context's trace, or else the
 * stream's, as they came.
 *
 * @example
 * const agents = new CommandRunner(store, agentAggregate, { clock: systemClock, ids: randomIds });
 * const r = await agents.execute('MCT-BE-001', (m) => ({ type: 'RemoveAgent', data: { agentId }, metadata: m }), ctx);
 */
export class CommandRunner<S, C, E extends DomainEvent, Env = void> {
  private readonly cache = new Map<string, StreamEntry<S>>();
  private readonly cacheSize: number;
  /** Commands on one stream in this process run one after another: no race lost to ourselves. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: EventStore,
    readonly aggregate: AggregateSpec<S, C, E, Env>,
    private readonly options: CommandRunnerOptions<S, Env, E>,
  ) {
    this.cacheSize = Math.max(0, options.cacheSize ?? 0);
  }

  /** The current state of one aggregate: from the cache checked against the stream's tail, or read whole. */
  async load(id: string): Promise<LoadedStream<S>> {
    const streamId = this.aggregate.streamId(id);
    const cached = this.cached(streamId);
    const entry = cached === undefined ? await this.readWhole(streamId) : ((await this.catchUp(streamId, cached)) ?? cached);
    return { streamId, state: entry.state, revision: entry.revision };
  }

  /**
   * The state kept in memory for one aggregate, or undefined: no read, and not checked against
   * the stream, so it may be behind it. For what never changes once set (a run's workflow, a
   * task's inputs); {@link load} for anything else.
   */
  kept(id: string): S | undefined {
    return this.cached(this.aggregate.streamId(id))?.state;
  }

  /**
   * True when the aggregate is kept in memory and `commandId` is among the commands it has
   * taken: executing that command again would append nothing. False tells nothing (not kept,
   * or kept behind the stream).
   */
  knows(id: string, commandId: string): boolean {
    return this.cached(this.aggregate.streamId(id))?.commands.has(commandId) === true;
  }

  execute(id: string, build: (metadata: CommandMetadata) => C, ctx: CommandContext, options: ExecuteOptions<S, E, Env> = {}): Promise<CommandResult<S, E>> {
    const streamId = this.aggregate.streamId(id);
    const previous = this.queues.get(streamId) ?? Promise.resolve();
    const call: Execution<S, C, E, Env> = { id, streamId, build, ctx, options };
    const run = previous.then(
      () => this.executeNow(call),
      () => this.executeNow(call),
    );
    const tail = run.catch(() => undefined);
    this.queues.set(streamId, tail);
    void tail.then(() => {
      if (this.queues.get(streamId) === tail) this.queues.delete(streamId);
    });
    return run;
  }

  /** Forgets every cached state (tests, or a service that lost its lease). */
  clearCache(): void {
    this.cache.clear();
  }

  private async executeNow(call: Execution<S, C, E, Env>): Promise<CommandResult<S, E>> {
    const { streamId, build, ctx, options } = call;
    const cached = this.cached(streamId);
    const assumed = cached === undefined && options.assumeNew === true;
    const entry: StreamEntry<S> = cached ?? (assumed ? { state: this.aggregate.initialState, revision: -1, commands: new Map() } : await this.readWhole(streamId));
    const verified = cached === undefined && !assumed;
    if (!tracingEnabled()) return this.decideAndAppend(call, entry, verified, ctx.trace ?? entry.trace);
    return inSpan(
      this.aggregate.name,
      {
        ...commandSpanParent(ctx, entry.trace),
        attributes: () => ({ [BatonAttributes.commandId]: ctx.commandId, [BatonAttributes.streamId]: streamId }),
      },
      async (span) => {
        const named = (metadata: CommandMetadata): C => {
          const command = build(metadata);
          span.updateName(`${this.aggregate.name} ${String((command as { type?: unknown }).type)}`);
          return command;
        };
        const r = await this.decideAndAppend({ ...call, build: named }, entry, verified, traceHeadersOf(span.spanContext()));
        span.setAttributes({ 'baton.events.appended': r.appended.length, 'baton.command.repeat': r.repeat, 'baton.stream.revision': r.revision });
        return r;
      },
    );
  }

  /** The kernel's loop: decide on `entry`, append at its revision, re-read and decide again after a lost race. */
  private async decideAndAppend(call: Execution<S, C, E, Env>, loaded: StreamEntry<S>, loadedVerified: boolean, stored: TraceHeaders | undefined): Promise<CommandResult<S, E>> {
    const { id, streamId, build, ctx, options } = call;
    let entry = loaded;
    let verified = loadedVerified;
    let firstLostAt: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const mark = entry.commands.get(ctx.commandId);
      if (mark !== undefined) return this.repeat(streamId, entry, mark, ctx);

      const now = this.options.clock.now().toISOString();
      let events: readonly E[];
      try {
        const env = await this.envFor(entry.state, id, options);
        events = this.aggregate.decide(build({ commandId: ctx.commandId, now }), entry.state, env);
      } catch (err) {
        // A refusal from a cached state may be out of date: decide again on the stream as it is.
        const newer: StreamEntry<S> | undefined = verified ? undefined : await this.catchUp(streamId, entry);
        verified = true;
        if (newer !== undefined) {
          entry = newer;
          continue;
        }
        throw err;
      }
      if (events.length === 0) {
        const newer: StreamEntry<S> | undefined = verified ? undefined : await this.catchUp(streamId, entry);
        verified = true;
        if (newer !== undefined) {
          entry = newer;
          continue;
        }
        return { streamId, state: entry.state, revision: entry.revision, appended: [], position: undefined, repeat: false };
      }

      await options.beforeAppend?.(entry.state, events);
      const base = entry;
      try {
        const recorded = events.map((e) => this.toNewEvent(e, base.state, ctx, now, stored));
        const appending: Appending<S, E> = { streamId, base, events, state: this.evolved(base.state, events), recorded, ctx, stored };
        const together = await this.appendAlongside(appending);
        if (together !== undefined) return together;
        const { options: appendOptions } = togetherAppend(appending);
        const result = await this.store.append(streamId, recorded, appendOptions);
        if (result.duplicate) {
          // Recorded before by another replica or an earlier attempt: read it and answer as a repeat.
          entry = await this.readWhole(streamId);
          verified = true;
          continue;
        }
        const committed = this.rememberCommitted(appending, result);
        this.announce(committed);
        return committed;
      } catch (err) {
        if (errorCodeOf(err) !== 'WRONG_EXPECTED_VERSION') throw err;
        this.cache.delete(streamId);
        firstLostAt ??= performance.now();
        if (attempt >= COMMAND_MAX_ATTEMPTS && performance.now() - firstLostAt >= COMMAND_RETRY_WINDOW_MS) throw err;
        if (attempt > 1) await backoff(attempt);
        entry = await this.readWhole(streamId);
        verified = true;
      }
    }
  }

  /**
   * A command decided from the state kept in memory, to be appended together with another
   * runner's (see {@link CommandRunnerOptions.alongside}): undefined when the stream is not kept,
   * a command of this process on it is under way, the command id is in it already, or the
   * decision refuses or appends nothing; then the caller runs the command as usual once its
   * own append committed. Its span (tracing on) covers the decision. `assumeNew`: a stream not
   * kept is decided as new (a create with a fresh id); the append at `no_stream` then checks it.
   * `then`: told of the result once `onCommitted` was.
   * This runner's own `alongside` is asked too, so a chain of follow-ups commits as one.
   */
  async decideAlongside(
    id: string,
    build: (metadata: CommandMetadata) => C,
    ctx: CommandContext,
    options: { readonly assumeNew?: boolean; readonly then?: (result: CommandResult<S, E>) => void } = {},
  ): Promise<Alongside | undefined> {
    const streamId = this.aggregate.streamId(id);
    const entry = this.cached(streamId) ?? (options.assumeNew === true ? { state: this.aggregate.initialState, revision: -1, commands: new Map<string, CommandMark>() } : undefined);
    if (entry === undefined || this.queues.has(streamId) || entry.commands.has(ctx.commandId)) return undefined;
    const decideWith = async (stored: TraceHeaders | undefined, named: (metadata: CommandMetadata) => C): Promise<Alongside | undefined> => {
      const now = this.options.clock.now().toISOString();
      let events: readonly E[];
      try {
        events = this.aggregate.decide(named({ commandId: ctx.commandId, now }), entry.state, await this.envFor(entry.state, id, {}));
      } catch {
        return undefined;
      }
      if (events.length === 0) return undefined;
      const recorded = events.map((e) => this.toNewEvent(e, entry.state, ctx, now, stored));
      const appending: Appending<S, E> = { streamId, base: entry, events, state: this.evolved(entry.state, events), recorded, ctx, stored };
      const mine: Alongside = {
        appends: [togetherAppend(appending)],
        committed: ([result]) => {
          const committed = this.rememberCommitted(appending, result!);
          return () => {
            this.announce(committed);
            options.then?.(committed);
          };
        },
        abandoned: () => undefined,
      };
      const further = await this.followUp(appending);
      return further === undefined ? mine : alongsideOf([mine, further]);
    };
    if (!tracingEnabled()) return decideWith(ctx.trace ?? entry.trace, build);
    return inSpan(
      this.aggregate.name,
      { ...commandSpanParent(ctx, entry.trace), attributes: () => ({ [BatonAttributes.commandId]: ctx.commandId, [BatonAttributes.streamId]: streamId }) },
      async (span) =>
        decideWith(traceHeadersOf(span.spanContext()), (metadata) => {
          const command = build(metadata);
          span.updateName(`${this.aggregate.name} ${String((command as { type?: unknown }).type)}`);
          return command;
        }),
    );
  }

  /** This decision and the one {@link CommandRunnerOptions.alongside} gives, in one commit; undefined when they did not go together. */
  private async appendAlongside(appending: Appending<S, E>): Promise<CommandResult<S, E> | undefined> {
    if (this.store.appendTogether === undefined) return undefined;
    const other = await this.followUp(appending);
    if (other === undefined) return undefined;
    const results = await this.store.appendTogether([togetherAppend(appending), ...other.appends]).catch(() => undefined);
    if (results === undefined) {
      other.abandoned();
      return undefined;
    }
    const committed = this.rememberCommitted(appending, results[0]!);
    const announceOther = other.committed(results.slice(1));
    this.announce(committed);
    announceOther();
    return committed;
  }

  /** What {@link CommandRunnerOptions.alongside} gives for this decision (an error in it: nothing). */
  private async followUp({ streamId, state, events, recorded }: Appending<S, E>): Promise<Alongside | undefined> {
    const alongside = this.options.alongside;
    if (alongside === undefined) return undefined;
    return alongside({ streamId, state, events, recorded }).catch(() => undefined);
  }

  private evolved(state: S, events: readonly E[]): S {
    let next = state;
    for (const e of events) next = this.aggregate.evolve(next, e);
    return next;
  }

  /** The state after an append of `events` on `base` committed, kept, as the command's result. */
  private rememberCommitted({ streamId, base, events, state, recorded, ctx, stored }: Appending<S, E>, result: AppendResult): CommandResult<S, E> {
    base.commands.set(ctx.commandId, { revision: result.nextExpectedRevision, fingerprint: ctx.fingerprint });
    this.remember(streamId, { state, revision: result.nextExpectedRevision, commands: base.commands, trace: base.revision < 0 ? stored : base.trace });
    return { streamId, state, revision: result.nextExpectedRevision, appended: events, position: result.position, repeat: false, recorded };
  }

  /** Tells `onCommitted` (an observer's failure is not the command's). */
  private announce(committed: CommandResult<S, E>): void {
    try {
      this.options.onCommitted?.(committed);
    } catch {
      // an observer's failure is not the command's
    }
  }

  private repeat(streamId: string, entry: StreamEntry<S>, mark: CommandMark, ctx: CommandContext): CommandResult<S, E> {
    if (ctx.fingerprint !== undefined && mark.fingerprint !== undefined && ctx.fingerprint !== mark.fingerprint) {
      throw new IdempotencyConflictError(streamId, ctx.commandId);
    }
    return { streamId, state: entry.state, revision: entry.revision, appended: [], position: undefined, repeat: true };
  }

  private async envFor(state: S, id: string, options: ExecuteOptions<S, E, Env>): Promise<Env> {
    if (options.env !== undefined) return options.env(state);
    if (this.options.environment !== undefined) return this.options.environment(state, id);
    return undefined as Env;
  }

  private cached(streamId: string): StreamEntry<S> | undefined {
    return this.cache.get(streamId);
  }

  private remember(streamId: string, entry: StreamEntry<S>): void {
    if (this.cacheSize === 0) return;
    if (this.aggregate.settled?.(entry.state) === true) {
      this.cache.delete(streamId);
      return;
    }
    // Most recently used goes to the end of the map's order; the oldest leave first.
    this.cache.delete(streamId);
    this.cache.set(streamId, entry);
    while (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  private async readWhole(streamId: string): Promise<StreamEntry<S>> {
    const entry = this.applied({ state: this.aggregate.initialState, revision: -1, commands: new Map() }, await this.store.readStream(streamId));
    this.remember(streamId, entry);
    return entry;
  }

  /** The entry with what the stream holds after its revision; undefined when there is nothing newer. */
  private async catchUp(streamId: string, entry: StreamEntry<S>): Promise<StreamEntry<S> | undefined> {
    const tail = await this.store.readStream(streamId, { fromRevision: entry.revision + 1 });
    if (tail.length === 0) return undefined;
    const newer = this.applied(entry, tail);
    this.remember(streamId, newer);
    return newer;
  }

  private applied(entry: StreamEntry<S>, recorded: readonly RecordedEvent[]): StreamEntry<S> {
    if (recorded.length === 0) return entry;
    const first = recorded[0]!;
    const state = foldWith({ initialState: entry.state, evolve: this.aggregate.evolve }, recorded.map(this.aggregate.read));
    const commands = new Map(entry.commands);
    for (const e of recorded) {
      const commandId = e.metadata.commandId;
      if (typeof commandId !== 'string') continue;
      const hash = e.metadata['commandHash'];
      commands.set(commandId, { revision: e.revision, fingerprint: typeof hash === 'string' ? hash : undefined });
    }
    const origin = entry.revision < 0 && first.revision === 0 ? storedTrace(first.metadata) : entry.trace;
    return { state, revision: recorded[recorded.length - 1]!.revision, commands, trace: origin };
  }

  private toNewEvent(event: E, state: S, ctx: CommandContext, now: string, stored: TraceHeaders | undefined): NewEvent {
    const runId = this.aggregate.correlationOf?.(event, state);
    const actor = ctx.actor ?? this.aggregate.defaultActor;
    const metadata: EventMetadata = {
      occurredAt: now,
      commandId: ctx.commandId,
      correlationId: runId ?? ctx.correlationId ?? ctx.commandId,
      causationId: ctx.causationId ?? ctx.commandId,
      ...(actor ? { actor } : {}),
      ...(stored?.traceparent ? { traceparent: stored.traceparent } : {}),
      ...(stored?.tracestate ? { tracestate: stored.tracestate } : {}),
      ...(ctx.fingerprint ? { commandHash: ctx.fingerprint } : {}),
    };
    return { eventId: this.options.ids.newId(), type: event.type, schemaVersion: this.aggregate.schemaVersionOf?.(event) ?? 1, data: event.data, metadata };
  }
}

/** The append of a decision, at the revision it was decided on, under its command id. */
function togetherAppend<S, E>({ streamId, base, recorded, ctx }: Appending<S, E>): TogetherAppend {
  return { streamId, events: recorded, options: { expectedRevision: base.revision < 0 ? 'no_stream' : base.revision, commandId: ctx.commandId } };
}

/** The trace headers stored in an event's metadata, if any. */
function storedTrace(metadata: EventMetadata): TraceHeaders | undefined {
  const { traceparent, tracestate } = metadata as { traceparent?: unknown; tracestate?: unknown };
  if (typeof traceparent !== 'string') return undefined;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}

/** Spreads racing retries apart: a few milliseconds, growing with the attempt, jittered. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
