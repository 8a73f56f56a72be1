import type { EventStore } from '@baton/event-store';

/** A stream whose hash chain does not hold, and where it first breaks. */
export interface BrokenStream {
  readonly streamId: string;
  readonly revision: number;
  readonly reason: string;
}

/** What `baton audit verify` found (its `--json` document). */
export interface VerifyReport {
  readonly ok: boolean;
  readonly streams: number;
  readonly events: number;
  readonly broken: readonly BrokenStream[];
}

/** How often `baton audit verify` says how far it got. */
export const VERIFY_PROGRESS_EVERY = 500;

/**
 * Recomputes the hash chain of each stream (every stream of the store when `streamIds` is
 * absent). `onProgress(done, total)` is called after every `every` streams.
 */
export async function verifyStreams(
  store: EventStore,
  options: { readonly streamIds?: readonly string[]; readonly onProgress?: (done: number, total: number) => void; readonly every?: number } = {},
): Promise<VerifyReport> {
  let ids = options.streamIds;
  if (ids === undefined) {
    const all: string[] = [];
    for await (const id of store.listStreams()) all.push(id);
    ids = all;
  }
  const every = options.every ?? VERIFY_PROGRESS_EVERY;
  let events = 0;
  let done = 0;
  const broken: BrokenStream[] = [];
  for (const id of ids) {
    const r = await store.verifyStream(id);
    // For a broken stream, `events` counts those checked before the break.
    events += r.events;
    if (!r.ok) broken.push({ streamId: r.streamId, revision: r.brokenAt, reason: r.reason });
    done++;
    if (done % every === 0) options.onProgress?.(done, ids.length);
  }
  return { ok: broken.length === 0, streams: ids.length, events, broken };
}

/** Human form: `ok: N streams, M events`, or one `BROKEN` line per broken stream. */
export function formatVerifyReport(r: VerifyReport): string[] {
  if (r.ok) return [`ok: ${r.streams} stream${r.streams === 1 ? '' : 's'}, ${r.events} event${r.events === 1 ? '' : 's'}`];
  return r.broken.map((b) => `BROKEN ${b.streamId} at revision ${b.revision}: ${b.reason}`);
}
