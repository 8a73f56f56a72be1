import { BatonError } from '@baton/contracts';

/**
 * An event id already stored in another stream (event ids are unique across the store).
 * Appending the same ids to the same stream is idempotent and does not throw this.
 */
export class DuplicateEventIdError extends BatonError {
  constructor(
    readonly eventId: string,
    readonly existingStreamId: string,
    readonly streamId: string,
  ) {
    super(
      'DUPLICATE',
      `event id ${eventId} already exists in stream ${existingStreamId}; it cannot be appended to ${streamId}`,
      { eventId, existingStreamId, streamId },
    );
    this.name = 'DuplicateEventIdError';
  }
}

/** The event store could not be reached or failed for a reason retrying may fix. */
export class EventStoreUnavailableError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, undefined, true, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/** A stored event does not match its hash: the store was altered behind Baton's back. */
export class EventIntegrityError extends BatonError {
  constructor(
    readonly streamId: string,
    readonly revision: number,
    reason: string,
  ) {
    super('INTERNAL', `stream ${streamId} revision ${revision} failed its integrity check: ${reason}`, { streamId, revision, reason });
    this.name = 'EventIntegrityError';
  }
}
