import { BatonError, GENESIS_HASH, WrongExpectedVersionError } from '@baton/contracts';
import type { DatabaseError, Pool, PoolClient } from 'pg';
import { actualRevisionText, expectedRevisionText, satisfiesExpected, type PreparedAppend } from '../append-validation';
import { noticeOf, type CommitNotice } from '../commit-notice';
import { DuplicateEventIdError, EventStoreUnavailableError } from '../errors';
import { chainEvents, type ChainLink } from '../hash-chain';
import type { AppendResult } from '../port';
import { appendStatements, ONE_STREAM_MAX_EVENTS, type AppendStatements } from './append.sql';
import { integerArrayLiteral, textArrayLiteral } from './array-literal';
import { HeldClients } from './held-clients';
import { inTransaction } from './transaction';

/** A stream's last revision (-1: no stream) and the hash of its last event. */
export interface StreamHead {
  readonly revision: number;
  readonly hash: string;
}

const NO_STREAM: StreamHead = { revision: -1, hash: GENESIS_HASH };

/** Bounds of one group commit: appends, and events over all its appends. */
const GROUP_MAX_APPENDS = 64;
const GROUP_MAX_EVENTS = 1000;

/**
 * The stream heads this process last wrote or read, so an append can chain and hash its
 * events in Node without asking the database first. A wrong head costs a round trip, never
 * a wrong write: the append statement writes only over the exact head it was given.
 */
class HeadCache {
  private readonly heads = new Map<string, StreamHead>();

  constructor(private readonly capacity: number) {}

  get(streamId: string): StreamHead | undefined {
    return this.heads.get(streamId);
  }

  set(streamId: string, head: StreamHead): void {
    // Re-inserted so the Map's order is least recently written first.
    this.heads.delete(streamId);
    this.heads.set(streamId, head);
    if (this.heads.size > this.capacity) this.heads.delete(this.heads.keys().next().value!);
  }

  delete(streamId: string): void {
    this.heads.delete(streamId);
  }
}

/** An append waiting for its round trip. */
interface PendingAppend {
  readonly append: PreparedAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (err: unknown) => void;
  /** Chained while it waited for a lane, from this head; used if the head still holds when it goes. */
  early?: { readonly head: StreamHead; readonly links: ChainLink[] };
  /** Its stream's head was read for it (once at most). */
  refreshed?: boolean;
  /** Statements that did not write it because its stream's head had moved (two at most). */
  missed?: number;
}

/** An append chained from the head it expects to find. */
interface ChainedAppend {
  readonly pending: PendingAppend;
  readonly head: StreamHead;
  readonly links: readonly ChainLink[];
}

/** Where an append's last event landed. */
interface Written {
  readonly commit: number;
  readonly prepare: number;
}

export interface AppenderOptions {
  readonly pool: Pool;
  readonly schema: string;
  /** Round trips in flight at once; what arrives meanwhile goes together as one group commit. */
  readonly appendsInFlight: number;
  /** Stream heads kept in memory. */
  readonly headCacheSize: number;
  /** Called after a commit that wrote events, before its callers hear of it (with what it wrote, see commit-notice.ts). */
  readonly committed: (notice: CommitNotice, notifiedInTx: boolean) => void;
  /** Maps a driver error (connection lost → EventStoreUnavailableError). */
  readonly mapError: (err: unknown) => unknown;
}

/**
 * The Postgres adapter's append path. Each append is chained and hashed in Node from the
 * stream head it expects (hash version 2) and written by one plain SQL statement that
 * checks that head (append.sql.ts): one round trip, no PL/pgSQL, no hashing in the
 * database. Appends that arrive while `appendsInFlight` round trips are out wait and then
 * go together in one statement and one commit. An append whose head is unknown or moved,
 * or whose expected revision does not hold against the cached head, has its head read
 * once (no lock) and goes again; after that, or when its statement failed, it takes the
 * locked path: a transaction that holds the stream's advisory lock, reads the head, the
 * command id and the first event id, and answers as the store always did (duplicate,
 * WRONG_EXPECTED_VERSION, DUPLICATE) or writes.
 */
export class PgAppender {
  private readonly sql: AppendStatements;
  private readonly names: { readonly one: readonly (readonly (readonly string[])[])[]; readonly many: readonly string[]; readonly together: readonly string[]; readonly probe: string; readonly heads: string; readonly duplicateOf: string; readonly lock: string };
  private readonly heads: HeadCache;
  private readonly waiting: PendingAppend[] = [];
  /** Streams with a round trip out: their next append waits for its outcome. */
  private readonly busy = new Set<string>();
  private inFlight = 0;
  /** A pump is scheduled for the end of this tick. */
  private pumpScheduled = false;
  /** Connections the write statements go to, one per lane and one for appends together. */
  private readonly writers: HeldClients;

  constructor(private readonly options: AppenderOptions) {
    this.writers = new HeldClients(options.pool, options.appendsInFlight + 1);
    this.sql = appendStatements(options.schema);
    const name = (k: string) => `baton_es_${k}_v2_${options.schema}`;
    this.names = {
      // One event keeps its name of before (`append_one_<exists><command>`); two to four `append_one<k>_…`.
      one: Array.from({ length: ONE_STREAM_MAX_EVENTS }, (_, i) => [0, 1].map((exists) => [0, 1].map((command) => name(`append_one${i === 0 ? '' : i + 1}_${exists}${command}`)))),
      many: [0, 1].map((command) => name(`append_many_${command}`)),
      together: [0, 1].map((command) => name(`append_together_${command}`)),
      probe: name('probe'),
      heads: name('heads'),
      duplicateOf: name('duplicate_of'),
      lock: name('lock'),
    };
    this.heads = new HeadCache(options.headCacheSize);
  }

  /** Gives the held connections back to the pool (the store is closing). */
  close(): void {
    this.writers.close();
  }

  append(append: PreparedAppend): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const w: PendingAppend = { append, resolve, reject };
      if (this.inFlight >= this.options.appendsInFlight) {
        // It will wait for a lane: hash it now, while the database works on the group out.
        const head = this.busy.has(append.streamId) ? undefined : this.headFor(w);
        if (head) w.early = { head, links: chainEvents(append.streamId, head.revision, head.hash, append.events) };
      }
      this.waiting.push(w);
      this.schedulePump();
    });
  }

  /**
   * Starts the pump once the current tick's callbacks and promise reactions have run, not
   * at once: when a group commit resolves its callers, the first to append again would
   * otherwise go alone while the others queue behind it (groups of 1 and n-1 in turn, each
   * paying a statement and a commit). Deferred, appends made in the same tick go together.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    process.nextTick(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * The head an append would chain from now: cached, or "no stream yet" for `any` /
   * `no_stream` before any miss; undefined when its expected revision does not hold against
   * it, or nothing is known.
   */
  private headFor(w: PendingAppend): StreamHead | undefined {
    const { streamId, expected } = w.append;
    const guess = !w.missed && (expected === 'no_stream' || expected === 'any') ? NO_STREAM : undefined;
    const head = this.heads.get(streamId) ?? guess;
    return head !== undefined && satisfiesExpected(expected, head.revision) ? head : undefined;
  }

  /**
   * A head read elsewhere (a read to the stream's end): later appends chain from it. A read
   * that started before one of our appends committed must not take the cache back.
   */
  observeHead(streamId: string, head: StreamHead): void {
    const known = this.heads.get(streamId);
    if (!this.busy.has(streamId) && (known === undefined || head.revision > known.revision)) this.heads.set(streamId, head);
  }

  /**
   * Sends what waits. Appends the database must answer go at once, each on its own locked
   * path; they take no lane, so one waiting on another process' lock holds nothing else
   * up. The others go as one group (every one that chains joins it) while fewer than
   * `appendsInFlight` groups are out; their statement never waits on a lock. An append
   * whose stream has anything out waits for its outcome.
   */
  private pump(): void {
    for (;;) {
      const laneFree = this.inFlight < this.options.appendsInFlight;
      const group: ChainedAppend[] = [];
      const chained = new Map<string, StreamHead>();
      const locked: PendingAppend[] = [];
      const refresh: PendingAppend[] = [];
      const left: PendingAppend[] = [];
      let events = 0;
      for (const w of this.waiting) {
        const { streamId, expected } = w.append;
        const n = w.append.events.length;
        if (this.busy.has(streamId)) {
          left.push(w);
          continue;
        }
        const chainedHead = chained.get(streamId);
        const head = chainedHead === undefined ? this.headFor(w) : satisfiesExpected(expected, chainedHead.revision) ? chainedHead : undefined;
        if (head === undefined) {
          if (chained.has(streamId)) {
            left.push(w);
          } else {
            // Unknown or contradicting head: read it once (cheap, no lock); then the database decides.
            (w.refreshed ? locked : refresh).push(w);
            this.busy.add(streamId);
          }
          continue;
        }
        if (!laneFree || group.length >= GROUP_MAX_APPENDS || (group.length > 0 && events + n > GROUP_MAX_EVENTS)) {
          left.push(w);
          continue;
        }
        const early = w.early;
        const links = early && early.head.revision === head.revision && early.head.hash === head.hash ? early.links : chainEvents(streamId, head.revision, head.hash, w.append.events);
        const last = links[links.length - 1]!;
        chained.set(streamId, { revision: last.revision, hash: last.hash });
        group.push({ pending: w, head, links });
        events += n;
      }
      if (locked.length === 0 && refresh.length === 0 && group.length === 0) return;
      this.waiting.length = 0;
      this.waiting.push(...left);
      for (const w of locked) void this.appendLocked(w).finally(() => this.release([w.append.streamId]));
      if (refresh.length > 0) void this.refreshHeads(refresh);
      if (group.length > 0) {
        const streams = [...chained.keys()];
        for (const s of streams) this.busy.add(s);
        const notifyInTx = this.inFlight === 0;
        this.inFlight++;
        void this.sendGroup(group, notifyInTx);
      }
    }
  }

  /** Reads the heads of these appends' streams (one query, no lock) into the cache, then lets them go again, first in line. */
  private async refreshHeads(appends: readonly PendingAppend[]): Promise<void> {
    const streams = [...new Set(appends.map((w) => w.append.streamId))];
    try {
      const { rows } = await this.options.pool.query<{ stream_id: string; revision: string; last_hash: string }>({
        name: this.names.heads,
        text: this.sql.heads,
        values: [streams],
      });
      const found = new Map(rows.map((r) => [r.stream_id, { revision: Number(r.revision), hash: r.last_hash }]));
      for (const s of streams) this.heads.set(s, found.get(s) ?? NO_STREAM);
    } catch (err) {
      const mapped = this.options.mapError(err);
      if (mapped instanceof EventStoreUnavailableError) {
        for (const w of appends) w.reject(mapped);
        this.release(streams);
        return;
      }
      // The locked path will read the heads itself.
    }
    for (const w of appends) w.refreshed = true;
    this.waiting.unshift(...appends);
    this.release(streams);
  }

  /** Streams whose round trip is over: what waits on them may go. */
  private release(streams: readonly string[]): void {
    for (const s of streams) this.busy.delete(s);
    this.pump();
  }

  /**
   * One statement for the group. Streams whose head moved are not written; their appends
   * go again after their head is read (a second miss, and every append of a group whose
   * statement failed, e.g. on an event or command id stored already, is answered by the
   * locked path, one stream after the other). The lane is free again as soon as the
   * statement is back, before any caller hears of it: a caller that appends again at once
   * must find this round trip over.
   */
  private async sendGroup(group: readonly ChainedAppend[], notifyInTx: boolean): Promise<void> {
    let written: Map<ChainedAppend, Written>;
    let unavailable: unknown;
    let failed = false;
    try {
      written = await this.writers.use((client) => this.write(client, group, notifyInTx));
    } catch (err) {
      const mapped = this.options.mapError(err);
      if (mapped instanceof EventStoreUnavailableError) unavailable = mapped;
      failed = true;
      written = new Map();
    }
    this.inFlight--;
    let commit = 0;
    const done: string[] = [];
    const again: PendingAppend[] = [];
    const retry = new Map<string, PendingAppend[]>();
    for (const c of group) {
      const streamId = c.pending.append.streamId;
      const w = written.get(c);
      if (w) {
        const last = c.links[c.links.length - 1]!;
        this.heads.set(streamId, { revision: last.revision, hash: last.hash });
        commit = Math.max(commit, w.commit);
        done.push(streamId);
      } else if (unavailable !== undefined) {
        this.heads.delete(streamId);
        done.push(streamId);
      } else if (failed || (c.pending.missed ?? 0) >= 1) {
        this.heads.delete(streamId);
        retry.set(streamId, [...(retry.get(streamId) ?? []), c.pending]);
      } else {
        // Its head moved: once more, after reading the head.
        this.heads.delete(streamId);
        c.pending.missed = (c.pending.missed ?? 0) + 1;
        again.push(c.pending);
        done.push(streamId);
      }
    }
    if (commit > 0) {
      this.options.committed(noticeOf(commit, group.filter((c) => written.has(c)).map((c) => c.pending.append.streamId)), notifyInTx);
    }
    this.waiting.unshift(...again);
    this.release(done.filter((s) => !retry.has(s)));
    for (const c of group) {
      const w = written.get(c);
      if (w) c.pending.resolve(result(c, w));
      else if (unavailable !== undefined) c.pending.reject(unavailable);
    }
    await Promise.all(
      [...retry].map(async ([streamId, appends]) => {
        for (const p of appends) await this.appendLocked(p);
        this.release([streamId]);
      }),
    );
  }

  /**
   * Appends to several streams in one transaction, all or none (a run's step with the task
   * ending that caused it, say): each chained from its cached head (or none, for a new stream), in one statement that fails
   * if any head moved. Undefined when it did not write: a head not known or not matching the
   * expected revision, a stream with an append out, two appends to one stream, or a statement
   * that failed (a head that moved, a command or event id stored already, the database gone).
   * The caller then appends one after the other as usual, which answers every such case (a
   * repeat, WRONG_EXPECTED_VERSION, ...). Nothing is ever partly written.
   */
  async appendTogether(appends: readonly PreparedAppend[]): Promise<AppendResult[] | undefined> {
    const streams = appends.map((a) => a.streamId);
    if (appends.length === 0 || new Set(streams).size !== streams.length || streams.some((s) => this.busy.has(s))) return undefined;
    const group: ChainedAppend[] = [];
    for (const append of appends) {
      const pending: PendingAppend = { append, resolve: () => undefined, reject: () => undefined };
      const head = this.headFor(pending);
      if (head === undefined) return undefined;
      group.push({ pending, head, links: chainEvents(append.streamId, head.revision, head.hash, append.events) });
    }
    for (const s of streams) this.busy.add(s);
    try {
      let written: Map<ChainedAppend, Written>;
      try {
        written = await this.writers.use((client) => this.write(client, group, true, true));
      } catch {
        for (const s of streams) this.heads.delete(s);
        return undefined;
      }
      if (written.size !== group.length) throw new Error(`append together: ${written.size} of ${group.length} appends reported written`);
      let commit = 0;
      for (const c of group) {
        const last = c.links[c.links.length - 1]!;
        this.heads.set(c.pending.append.streamId, { revision: last.revision, hash: last.hash });
        commit = Math.max(commit, written.get(c)!.commit);
      }
      this.options.committed(noticeOf(commit, streams), true);
      return group.map((c) => result(c, written.get(c)!));
    } finally {
      this.release(streams);
    }
  }

  /** Runs the write statement (one event, or any group; `whole`: all or none) on `db`; the appends written, with where. */
  private async write(db: Pool | PoolClient, group: readonly ChainedAppend[], notify: boolean, whole = false): Promise<Map<ChainedAppend, Written>> {
    const written = new Map<ChainedAppend, Written>();
    const only = group[0]!;
    if (group.length === 1 && only.links.length <= ONE_STREAM_MAX_EVENTS && !whole) {
      const p = only.pending.append;
      const k = only.links.length;
      const exists = only.head.revision >= 0 ? 1 : 0;
      const command = p.commandId === undefined ? 0 : 1;
      const values: unknown[] = [p.streamId, only.head.revision, only.head.hash];
      p.events.forEach((e, i) => {
        const link = only.links[i]!;
        values.push(e.eventId, e.type, e.schemaVersion, link.dataJson, link.metadataJson, link.hash);
      });
      if (command) values.push(p.commandId, commandResult(only));
      values.push(notify);
      const { rows } = await db.query<{ tx_id: string; seq: string }>({
        name: this.names.one[k - 1]![exists]![command]!,
        text: this.sql.one[k - 1]![exists]![command]!,
        values,
      });
      if (rows[0]) written.set(only, { commit: Number(rows[0].tx_id), prepare: Number(rows[0].seq) });
      return written;
    }
    const a = { stream: [] as string[], lastRev: [] as number[], lastHash: [] as string[], command: [] as (string | null)[], result: [] as (string | null)[] };
    const units = new Map<string, { cur: StreamHead; next: StreamHead }>();
    const e = { stream: [] as string[], id: [] as string[], rev: [] as number[], type: [] as string[], sv: [] as number[], data: [] as string[], meta: [] as string[], prev: [] as string[], hash: [] as string[] };
    const byLast = new Map<string, ChainedAppend>();
    for (const c of group) {
      const p = c.pending.append;
      const last = c.links[c.links.length - 1]!;
      a.stream.push(p.streamId);
      a.lastRev.push(last.revision);
      a.lastHash.push(last.hash);
      a.command.push(p.commandId ?? null);
      a.result.push(commandResult(c));
      byLast.set(`${last.revision}\u0000${p.streamId}`, c);
      const unit = units.get(p.streamId);
      units.set(p.streamId, { cur: unit?.cur ?? c.head, next: { revision: last.revision, hash: last.hash } });
      p.events.forEach((ev, i) => {
        const link = c.links[i]!;
        e.stream.push(p.streamId);
        e.id.push(ev.eventId);
        e.rev.push(link.revision);
        e.type.push(ev.type);
        e.sv.push(ev.schemaVersion);
        e.data.push(link.dataJson);
        e.meta.push(link.metadataJson);
        e.prev.push(link.prevHash);
        e.hash.push(link.hash);
      });
    }
    const u = [...units.entries()];
    const command = a.command.some((c) => c !== null) ? 1 : 0;
    const { rows } = await db.query<{ stream: string; last_rev: string; tx_id: string; seq: string }>({
      name: (whole ? this.names.together : this.names.many)[command]!,
      text: (whole ? this.sql.together : this.sql.many)[command]!,
      values: [
        textArrayLiteral(a.stream),
        integerArrayLiteral(a.lastRev),
        textArrayLiteral(a.lastHash),
        textArrayLiteral(a.command),
        textArrayLiteral(a.result),
        textArrayLiteral(u.map(([s]) => s)),
        integerArrayLiteral(u.map(([, x]) => x.cur.revision)),
        textArrayLiteral(u.map(([, x]) => x.cur.hash)),
        integerArrayLiteral(u.map(([, x]) => x.next.revision)),
        textArrayLiteral(u.map(([, x]) => x.next.hash)),
        textArrayLiteral(e.stream),
        textArrayLiteral(e.id),
        integerArrayLiteral(e.rev),
        textArrayLiteral(e.type),
        integerArrayLiteral(e.sv),
        `[${e.data.join(',')}]`,
        `[${e.meta.join(',')}]`,
        textArrayLiteral(e.prev),
        textArrayLiteral(e.hash),
        notify,
      ],
    });
    for (const r of rows) {
      const c = byLast.get(`${r.last_rev}\u0000${r.stream}`);
      if (c) written.set(c, { commit: Number(r.tx_id), prepare: Number(r.seq) });
    }
    return written;
  }

  /**
   * The locked path: a transaction holding the stream's advisory lock (taken first, before
   * the transaction has an xid) reads the head, the command's stored result and the stream
   * holding the first event id, then answers as the store always has, or writes through
   * the same statement as the optimistic path. Settles `w`; never throws.
   */
  private async appendLocked(w: PendingAppend): Promise<void> {
    const p = w.append;
    const firstEventId = p.events[0]!.eventId;
    let outcome: { result: AppendResult; head?: StreamHead };
    try {
      outcome = await inTransaction(this.options.pool, async (client) => {
        await client.query({ name: this.names.lock, text: this.sql.lock, values: [p.streamId] });
        const { rows } = await client.query<{ revision: string | null; last_hash: string | null; command_result: StoredResult | null; first_owner: string | null }>({
          name: this.names.probe,
          text: this.sql.probe,
          values: [p.streamId, p.commandId ?? null, firstEventId],
        });
        const probe = rows[0]!;
        const head: StreamHead = probe.revision === null ? NO_STREAM : { revision: Number(probe.revision), hash: probe.last_hash! };
        this.heads.set(p.streamId, head);
        if (probe.command_result) return { result: storedResult(p.streamId, probe.command_result) };
        if (probe.first_owner !== null) {
          if (probe.first_owner !== p.streamId) throw new DuplicateEventIdError(firstEventId, probe.first_owner, p.streamId);
          return { result: await this.duplicateOf(client, p) };
        }
        if (!satisfiesExpected(p.expected, head.revision)) {
          throw new WrongExpectedVersionError(p.streamId, expectedRevisionText(p.expected), actualRevisionText(head.revision));
        }
        const chainedAppend: ChainedAppend = { pending: w, head, links: chainEvents(p.streamId, head.revision, head.hash, p.events) };
        const written = (await this.write(client, [chainedAppend], false)).get(chainedAppend);
        if (!written) throw new Error(`append to ${p.streamId}: the stream head moved while its lock was held`);
        const last = chainedAppend.links[chainedAppend.links.length - 1]!;
        return { result: result(chainedAppend, written), head: { revision: last.revision, hash: last.hash } };
      });
    } catch (err) {
      // A refusal leaves the head read under the lock in the cache; anything else, nothing.
      if (!(err instanceof BatonError)) this.heads.delete(p.streamId);
      w.reject(this.mapAppendError(err, p.streamId, firstEventId));
      return;
    }
    if (outcome.head) {
      this.heads.set(p.streamId, outcome.head);
      this.options.committed(noticeOf(outcome.result.position.commit, [p.streamId]), false);
    }
    w.resolve(outcome.result);
  }

  /** The first result of an append whose event ids are stored in its stream already. */
  private async duplicateOf(client: PoolClient, p: PreparedAppend): Promise<AppendResult> {
    const { rows } = await client.query<{ first_revision: string; last_revision: string; tx_id: string; seq: string; event_ids: string[] }>({
      name: this.names.duplicateOf,
      text: this.sql.duplicateOf,
      values: [p.streamId, p.events.map((e) => e.eventId)],
    });
    const r = rows[0]!;
    return {
      streamId: p.streamId,
      firstRevision: Number(r.first_revision),
      nextExpectedRevision: Number(r.last_revision),
      position: { commit: Number(r.tx_id), prepare: Number(r.seq) },
      eventIds: r.event_ids,
      duplicate: true,
    };
  }

  private mapAppendError(err: unknown, streamId: string, firstEventId: string): unknown {
    const e = err as Partial<DatabaseError>;
    if (e.code === '23505' && e.constraint === 'events_event_id_uq') {
      return new DuplicateEventIdError(/\(event_id\)=\(([^)]+)\)/.exec(e.detail ?? '')?.[1] ?? firstEventId, '?', streamId);
    }
    return this.options.mapError(err);
  }
}

/** What `commands.result` holds: an append's result, stored for retries of its command id. */
interface StoredResult {
  firstRevision: number;
  nextExpectedRevision: number;
  commit: number | string;
  prepare: number | string;
  eventIds: string[];
}

function storedResult(streamId: string, r: StoredResult): AppendResult {
  return {
    streamId,
    firstRevision: Number(r.firstRevision),
    nextExpectedRevision: Number(r.nextExpectedRevision),
    position: { commit: Number(r.commit), prepare: Number(r.prepare) },
    eventIds: r.eventIds,
    duplicate: true,
  };
}

/** The command's result without its position (the statement adds commit and prepare), or null without a command id. */
function commandResult(c: ChainedAppend): string | null {
  if (c.pending.append.commandId === undefined) return null;
  return JSON.stringify({
    firstRevision: c.links[0]!.revision,
    nextExpectedRevision: c.links[c.links.length - 1]!.revision,
    eventIds: c.pending.append.events.map((e) => e.eventId),
    duplicate: false,
  });
}

function result(c: ChainedAppend, w: Written): AppendResult {
  return {
    streamId: c.pending.append.streamId,
    firstRevision: c.links[0]!.revision,
    nextExpectedRevision: c.links[c.links.length - 1]!.revision,
    position: { commit: w.commit, prepare: w.prepare },
    eventIds: c.pending.append.events.map((e) => e.eventId),
    duplicate: false,
  };
}
