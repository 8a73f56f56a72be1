import { categoryOf, comparePositions, GENESIS_HASH, type EventMetadata, type RecordedEvent } from '@baton/contracts';
import type { EventStore, ReadAllOptions, VerifyResult } from '@baton/event-store';
import type { EventStoreOpener } from '../event-store';

/**
 * A read-only, in-memory {@link EventStore} over fixed events, for unit tests of the audit
 * command layer only (the int tests use the Postgres adapter). Hashes are not computed:
 * `verifyStream` answers what `broken` says.
 */
export interface MemoryEventStore extends EventStore {
  /** Every readAll call, to check paging. */
  readonly readAllCalls: ReadAllOptions[];
}

export function memoryEventStore(events: readonly RecordedEvent[], broken: Readonly<Record<string, { brokenAt: number; reason: string }>> = {}): MemoryEventStore {
  const all = [...events].sort((a, b) => comparePositions(a.position, b.position));
  const readAllCalls: ReadAllOptions[] = [];
  const stream = (id: string): RecordedEvent[] => all.filter((e) => e.streamId === id).sort((a, b) => a.revision - b.revision);
  return {
    readAllCalls,
    append: () => Promise.reject(new Error('memory event store is read-only')),
    readStream: (id) => Promise.resolve(stream(id)),
    readAll: (options = {}) => {
      readAllCalls.push(options);
      const { after, maxCount = 1000, filter } = options;
      return Promise.resolve(
        all
          .filter((e) => after === undefined || comparePositions(e.position, after) > 0)
          .filter((e) => filter?.categories === undefined || filter.categories.includes(categoryOf(e.streamId)))
          .filter((e) => filter?.eventTypes === undefined || filter.eventTypes.includes(e.type))
          .slice(0, maxCount),
      );
    },
    subscribe: () => {
      throw new Error('memory event store: subscribe is not supported');
    },
    verifyStream: (id): Promise<VerifyResult> => {
      const n = stream(id).length;
      const b = broken[id];
      return Promise.resolve(b === undefined ? { ok: true, streamId: id, events: n } : { ok: false, streamId: id, events: b.brokenAt, brokenAt: b.brokenAt, reason: b.reason });
    },
    listStreams: async function* () {
      for (const id of [...new Set(all.map((e) => e.streamId))].sort()) yield id;
    },
    close: () => Promise.resolve(),
  };
}

/** An opener that hands out the store and records the URLs it was asked for. */
export function memoryOpener(store: EventStore, opened: (string | undefined)[] = []): EventStoreOpener {
  return ({ databaseUrl }) => {
    opened.push(databaseUrl);
    return Promise.resolve({ store, target: 'memory', close: () => Promise.resolve() });
  };
}

let nextId = 0;

/** A stored event at global position `commit/0`; `occurredAt` defaults from the commit. */
export function recorded(streamId: string, revision: number, commit: number, type: string, data: unknown, metadata: Partial<EventMetadata> = {}): RecordedEvent {
  nextId += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
    type,
    schemaVersion: 1,
    streamId,
    revision,
    position: { commit, prepare: 0 },
    data,
    metadata: { occurredAt: new Date(Date.parse('2026-11-22T10:00:00.000Z') + commit * 1000).toISOString(), ...metadata },
    prevHash: GENESIS_HASH,
    hash: GENESIS_HASH,
  };
}
