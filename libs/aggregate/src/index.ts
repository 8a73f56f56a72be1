/**
 * The command kernel every Baton aggregate runs on.
 *
 * - {@link AggregateSpec}: an aggregate's pure parts (decide, evolve, initial state), its stream
 *   naming, event reader and correlation; declared in a service's domain.
 * - {@link CommandRunner}: load or take the cached state → decide → append at the expected
 *   revision; idempotent by command id; one retry policy; every event's metadata set in one place.
 * - {@link commandContextOf} / {@link serviceContext}: the command context from a NATS request,
 *   or for a command a service sends itself.
 * - {@link eventReader}: stored events read through the contract's schemas, with upcasters.
 * - {@link systemClock}, {@link randomIds}, {@link manualClock}: time and ids from outside.
 * - {@link deciderSpec}: given / when / then tests of a decider.
 * - {@link decideByType}: a decide function from one handler per command type; {@link existingState}:
 *   evolve's guard that an event follows the stream's first.
 */
export { contractAggregate, foldWith, unhandled, type AggregateSpec, type CommandMetadata, type DomainEvent } from './aggregate';
export { manualClock, randomIds, sequentialIds, systemClock, type Clock, type IdSource, type ManualClock } from './clock';
export { commandContextOf, commandFingerprint, serviceContext, type CommandContext, type HeaderSource, type TraceHeaders } from './command-context';
export {
  alongsideOf,
  COMMAND_MAX_ATTEMPTS,
  COMMAND_RETRY_WINDOW_MS,
  CommandRunner,
  IdempotencyConflictError,
  type Alongside,
  type CommandResult,
  type CommandRunnerOptions,
  type Decided,
  type ExecuteOptions,
  type LoadedStream,
} from './command-runner';
export { deciderSpec, type Decider, type DeciderGiven, type DeciderWhen } from './decider-spec';
export { eventReader, UnknownEventError, type EventReader, type StoredEvent, type Upcasters } from './event-reader';
export { decideByType, existingState, type CommandHandlers } from './decider-helpers';
