import { comparePositions, type Position, type RecordedEvent } from '@baton/contracts';
import { waitFor } from '@baton/testing';
import { CatchUpSubscription, type CatchUpSource } from './catch-up-subscription';
import type { CommitNotice } from './commit-notice';

/** An in-memory log: events become readable once "committed" below the horizon. */
class MemorySource implements CatchUpSource {
  readonly pollIntervalMs = 10_000;
  events: RecordedEvent[] = [];
  /** Oldest open transaction, if any; else everything added so far is readable. */
  open: number | undefined;
  /** Whether the open transaction may write events (an append); one that does not is passed over by an exact read. */
  openWrites = true;
  /** The `exact` flag of every read, in order. */
  readonly exactFlags: boolean[] = [];

  get horizon(): number {
    return this.open ?? this.committedHorizon;
  }

  private get committedHorizon(): number {
    return Math.max(0, ...this.events.map((e) => e.position.commit)) + 1;
  }
  private readonly wakes = new Set<(notice: CommitNotice) => void>();

  /** `history`: events committed before anyone subscribes, the i-th at position i/i. */
  constructor(history = 0) {
    for (let i = 1; i <= history; i++) this.add(i, i);
  }

  add(commit: number, prepare: number, type = 'T', notify = true, streamId = 's-1'): void {
    this.events.push({
      eventId: `${commit}/${prepare}`,
      type,
      schemaVersion: 1,
      streamId,
      revision: this.events.length,
      position: { commit, prepare },
      data: {},
      metadata: { occurredAt: '2026-01-01T00:00:00Z' },
      prevHash: '',
      hash: '',
    });
    this.events.sort((a, b) => comparePositions(a.position, b.position));
    if (notify) for (const w of this.wakes) w({ commit, categories: new Set([streamId.split('-')[0]!]) });
  }

  /** Tells every listener of a commit, as a late NOTIFY would. */
  notify(commit: number, category = 's'): void {
    for (const w of this.wakes) w({ commit, categories: new Set([category]) });
  }

  async readPage(after: Position, limit: number, _filter?: unknown, exact = false) {
    this.exactFlags.push(exact);
    const horizon = exact && this.open !== undefined && !this.openWrites ? this.committedHorizon : this.horizon;
    const events = this.events.filter((e) => comparePositions(e.position, after) > 0 && e.position.commit < horizon).slice(0, limit);
    return { events, horizon };
  }

  async endPosition(): Promise<Position> {
    return { commit: this.horizon - 1, prepare: Number.MAX_SAFE_INTEGER };
  }

  async listen(wake: (notice: CommitNotice) => void): Promise<void> {
    this.wakes.add(wake);
  }

  /** Wakes every listener with this notice, as the store's listener would. */
  wakeAll(notice: CommitNotice): void {
    for (const w of this.wakes) w(notice);
  }

  unlisten(wake: (notice: CommitNotice) => void): void {
    this.wakes.delete(wake);
  }

  get listeners(): number {
    return this.wakes.size;
  }
}

/** Counts the source's page reads from now on. */
function countReads(src: MemorySource): () => number {
  let reads = 0;
  const readPage = src.readPage.bind(src);
  src.readPage = async (after, limit) => {
    reads++;
    return readPage(after, limit);
  };
  return () => reads;
}

/** A subscription from the start of `src`, once live, with the ids of the events it delivered. */
async function liveFromStart(src: MemorySource): Promise<{ sub: CatchUpSubscription; got: string[] }> {
  const got: string[] = [];
  const sub = new CatchUpSubscription(src, { from: 'start', onEvent: (e) => void got.push(e.eventId) });
  await waitFor(() => sub.isLive);
  return { sub, got };
}

/** A live subscription from the start of a source holding one event (1/1), its page reads counted. */
async function liveOverOne(src: MemorySource): Promise<{ sub: CatchUpSubscription; got: string[]; reads: () => number }> {
  src.add(1, 1);
  const reads = countReads(src);
  return { ...(await liveFromStart(src)), reads };
}

describe('CatchUpSubscription', () => {
  it('delivers history in batches, then live, each event once and in order', async () => {
    const src = new MemorySource(7);
    const got: string[] = [];
    let caughtUp: Position | undefined;
    const sub = new CatchUpSubscription(src, { from: 'start', batchSize: 3, onEvent: (e) => void got.push(e.eventId), onCaughtUp: (p) => (caughtUp = p) });
    await waitFor(() => sub.isLive);
    expect(got).toHaveLength(7);
    expect(caughtUp).toEqual({ commit: 7, prepare: 7 });
    src.add(8, 8);
    await waitFor(() => got.length === 8);
    await sub.stop();
    expect(src.listeners).toBe(0);
    expect(got).toEqual(['1/1', '2/2', '3/3', '4/4', '5/5', '6/6', '7/7', '8/8']);
  });

  it('retries soon when a notified commit is hidden behind an open transaction', async () => {
    const src = new MemorySource();
    const { sub, got } = await liveFromStart(src);
    src.open = 5; // transaction 5 is still open
    src.add(6, 1); // commits and notifies, but is not readable yet
    src.add(5, 2, 'T', false); // the open transaction commits with no notification
    src.open = undefined;
    await waitFor(() => got.length === 2, { timeoutMs: 2000 });
    await sub.stop();
    expect(got).toEqual(['5/2', '6/1']);
  });

  it('reads again at once with the exact horizon when the transaction hiding a notified commit writes no events', async () => {
    const src = new MemorySource();
    const { sub, got } = await liveFromStart(src);
    const before = src.exactFlags.length;
    // A read model's transaction: open (so the xmin horizon stays at 5) but writing no events.
    src.open = 5;
    src.openWrites = false;
    src.add(6, 1);
    await waitFor(() => got.length === 1, { timeoutMs: 2000 });
    // One read that found the commit hidden, then one exact read that delivered it, with no pause between.
    expect(src.exactFlags.slice(before)).toEqual([false, true]);
    expect(got).toEqual(['6/1']);
    await sub.stop();
  });

  it('behind an open append, reads with the exact horizon until it ends, and delivers in order', async () => {
    const src = new MemorySource();
    const { sub, got } = await liveFromStart(src);
    const before = src.exactFlags.length;
    src.open = 5; // an append still open: it holds the exact horizon too
    src.add(6, 1);
    await waitFor(() => src.exactFlags.length - before >= 3, { timeoutMs: 2000 });
    expect(got).toEqual([]);
    src.add(5, 2, 'T', false); // the append commits; its notification is late
    src.open = undefined;
    await waitFor(() => got.length === 2, { timeoutMs: 2000 });
    expect(got).toEqual(['5/2', '6/1']);
    expect(src.exactFlags.slice(before + 1).every((exact) => exact)).toBe(true);
    await sub.stop();
  });

  it('does not read again for a notification that came during a read of the commit it covered (the NOTIFY after the local wake)', async () => {
    const src = new MemorySource();
    const got: string[] = [];
    const sub = new CatchUpSubscription(src, { from: 'start', onEvent: (e) => void got.push(e.eventId) });
    try {
      await waitFor(() => sub.isLive);
      const reads = countReads(src);
      // The second notice of commit 6 arrives while the read it started is under way.
      const read = src.readPage.bind(src);
      let echo = true;
      src.readPage = async (...a: Parameters<MemorySource['readPage']>) => {
        const page = await read(...a);
        if (echo) {
          echo = false;
          src.notify(6);
        }
        return page;
      };
      src.add(6, 1);
      await waitFor(() => got.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(reads()).toBe(1);
      // A notice during a read of a commit the read could not see yet still reads again.
      echo = true;
      src.readPage = async (...a: Parameters<MemorySource['readPage']>) => {
        const page = await read(...a);
        if (echo) {
          echo = false;
          src.add(8, 1);
        }
        return page;
      };
      src.add(7, 1);
      await waitFor(() => got.length === 3);
      expect(got).toEqual(['6/1', '7/1', '8/1']);
    } finally {
      await sub.stop();
    }
  });

  it("starts from a checkpoint or from 'end'", async () => {
    const src = new MemorySource(2);
    const fromCheckpoint: string[] = [];
    const fromEnd: string[] = [];
    const a = new CatchUpSubscription(src, { from: { commit: 1, prepare: 1 }, onEvent: (e) => void fromCheckpoint.push(e.eventId) });
    const b = new CatchUpSubscription(src, { from: 'end', onEvent: (e) => void fromEnd.push(e.eventId) });
    await waitFor(() => a.isLive && b.isLive);
    src.add(3, 3);
    await waitFor(() => fromCheckpoint.length === 2 && fromEnd.length === 1);
    await Promise.all([a.stop(), b.stop()]);
    expect(fromCheckpoint).toEqual(['2/2', '3/3']);
    expect(fromEnd).toEqual(['3/3']);
  });

  it('ignores a wake-up for a commit it has already read', async () => {
    const src = new MemorySource();
    const { sub, got, reads } = await liveOverOne(src);
    const before = reads();
    src.add(2, 1);
    await waitFor(() => got.length === 2);
    const afterFirst = reads();
    src.wakeAll({ commit: 2 }); // the same commit, notified again
    src.add(3, 1);
    await waitFor(() => got.length === 3);
    await sub.stop();
    expect(afterFirst - before).toBe(1);
    expect(reads() - afterFirst).toBe(1);
    expect(got).toEqual(['1/1', '2/1', '3/1']);
  });

  it('reads once when woken with no commit (its listener reconnected), then waits: it does not poll every few ms', async () => {
    const src = new MemorySource();
    const { sub, got, reads } = await liveOverOne(src);
    const before = reads();
    src.wakeAll({});
    await new Promise((r) => setTimeout(r, 200));
    // Before, a reconnect's wake counted as a commit numbered Number.MAX_SAFE_INTEGER: hidden
    // forever, so the subscription re-read every 5 ms (some 40 reads in these 200 ms).
    expect(reads() - before).toBe(1);
    src.add(2, 1);
    await waitFor(() => got.length === 2);
    await sub.stop();
    expect(got).toEqual(['1/1', '2/1']);
  });

  it('skips the read for a commit of categories its filter does not name; reads for one that it names', async () => {
    const src = new MemorySource();
    const reads = countReads(src);
    const got: string[] = [];
    // MemorySource does not filter: what is read is what the notices let through.
    const sub = new CatchUpSubscription(src, { from: 'start', filter: { categories: ['task'] }, onEvent: (e) => void got.push(`${e.streamId}@${e.eventId}`) });
    await waitFor(() => sub.isLive);
    const before = reads();
    src.add(1, 1, 'AgentRegistered', true, 'agent-7');
    src.add(2, 1, 'RunStarted', true, 'run-1');
    await new Promise((r) => setTimeout(r, 50));
    expect(reads() - before).toBe(0);
    src.add(3, 1, 'TaskCreated', true, 'task-1');
    await waitFor(() => got.includes('task-1@3/1'));
    await sub.stop();
    expect(reads() - before).toBe(1);
  });

  it('reads at once on a notice of any category while a notified commit of its own is hidden', async () => {
    const src = new MemorySource();
    const got: string[] = [];
    const sub = new CatchUpSubscription(src, { from: 'start', filter: { categories: ['task'] }, onEvent: (e) => void got.push(e.eventId) });
    await waitFor(() => sub.isLive);
    src.open = 5; // transaction 5 is still open
    src.add(6, 1, 'TaskCreated', true, 'task-1'); // notified, not readable yet
    src.open = undefined;
    // The commit that ends the wait is of another category: it still wakes the read.
    src.add(7, 1, 'AgentRegistered', true, 'agent-7');
    await waitFor(() => got.includes('6/1'), { timeoutMs: 2000 });
    await sub.stop();
  });

  it('stops on a handler error and reports it', async () => {
    const src = new MemorySource(2);
    const errors: unknown[] = [];
    const sub = new CatchUpSubscription(src, {
      from: 'start',
      onEvent: () => {
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    await waitFor(() => errors.length === 1);
    await sub.stop();
    expect(sub.position).toBeUndefined();
    expect(src.listeners).toBe(0);
  });
});
