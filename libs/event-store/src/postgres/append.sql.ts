import { PLAIN_CATEGORY_SQL, NOTICE_MAX_LIST } from '../commit-notice';
import { notifyChannel, quoteIdent } from './schema.sql';

/**
 * The statements of the Postgres adapter's append path (no PL/pgSQL, no hashing in SQL).
 *
 * `one` and `many` are optimistic: Node sends the stream heads it believes in (from its
 * head cache) with the events already chained and hashed from them, and the statement
 * writes a stream only when its head row still holds exactly that revision and hash. A
 * stream whose head moved, or whose advisory lock another transaction holds, is not
 * written and not returned; the caller then takes the locked path for it.
 *
 * Why the per-stream order still agrees with the global (tx_id, seq) order (see
 * schema.sql.ts): every stream's advisory lock is tried before the statement writes
 * anything, i.e. before its transaction has an xid. `pg_try_advisory_xact_lock` never
 * waits; all locks of a group are taken inside one aggregate, which consumes its whole
 * input before the first head row is written. A transaction that got the lock of a stream
 * therefore gets its xid after the stream's previous writer committed. The statement's
 * snapshot may predate that commit; the head UPDATE then finds the newer row version (READ
 * COMMITTED re-checks the WHERE against it) and writes nothing for that stream.
 *
 * `one`: one to {@link ONE_STREAM_MAX_EVENTS} events of one stream (a task created and
 * assigned, accepted and completed: two). $1 stream, $2 head revision (-1: no stream), $3 head
 * hash; then six per event from $4: event id, type, schema version, data, metadata, hash (each
 * event's previous hash is the one before it, the first's $3); with a command id, the command id
 * and its result without the position (JSON); last, notify in the transaction. With one event:
 * $4 id … $9 hash, $10 command id, $11 result, notify $12 (or $10).
 * Returns (tx_id, seq) of the last event when written, no row otherwise. Its plan is a few rows of
 * VALUES where `many` unnests twenty arrays: at idle, a two-event append took 1.36 ms with `many`
 * and 0.94 ms as one event, back to back (2.63 and 2.03 ms 5 ms apart).
 *
 * `many`: any number of appends over any number of streams. Appends: $1 stream, $2 last
 * revision, $3 last hash, $4 command id, $5 result without position. Streams (each once):
 * $6 stream, $7 head revision, $8 head hash, $9 new revision, $10 new hash. Events: $11
 * stream, $12 id, $13 revision, $14 type, $15 schema version, $16 data (a JSON array), $17
 * metadata (a JSON array), $18 prev hash, $19 hash. $20 notify. Returns one row (stream,
 * last_rev, tx_id, seq) per written append.
 */
/** Most events of one stream the `one` statement takes; a longer append goes by `many`. */
export const ONE_STREAM_MAX_EVENTS = 4;

export interface AppendStatements {
  /** `one`, by its number of events less one (index 1), whether the stream exists (index 2) and whether the append has a command id (index 3). */
  readonly one: readonly (readonly (readonly string[])[])[];
  /** `many`, by whether any append of the group has a command id. */
  readonly many: readonly [string, string];
  /**
   * `many` for appends that commit together or not at all (by command id, as `many`): when a
   * stream's head moved, the statement fails (division by zero in its last column, SQLSTATE
   * 22012) and so writes nothing.
   */
  readonly together: readonly [string, string];
  /** The locked path: the command's stored result, the head, and the stream that holds the first event id. */
  readonly probe: string;
  /** Stream heads ($1 stream ids), read without a lock for appends whose head is unknown or moved. */
  readonly heads: string;
  /** The locked path: what an append whose event ids are stored already had written. */
  readonly duplicateOf: string;
  readonly lock: string;
}

export function appendStatements(schema: string): AppendStatements {
  const s = quoteIdent(schema);
  const channel = notifyChannel(schema);
  // Variants rather than one statement with switches: Postgres opens every table and index
  // a plan names on each execution, used or not, and that was a measurable part of an append.
  // Event i's six parameters start at $(4 + 6i): id, type, schema version, data, metadata, hash.
  const at = (i: number, field: number) => `$${4 + 6 * i + field}`;
  const oneHead = (exists: boolean, k: number) =>
    exists
      ? `UPDATE ${s}.streams st SET revision = $2::bigint + ${k}, last_hash = ${at(k - 1, 5)}::text
    FROM locked
   WHERE locked.ok AND st.stream_id = $1::text AND st.revision = $2::bigint AND st.last_hash = $3::text
  RETURNING 1`
      : `INSERT INTO ${s}.streams (stream_id, revision, last_hash)
  SELECT $1::text, ${k - 1}, ${at(k - 1, 5)}::text FROM locked WHERE locked.ok AND $2::bigint < 0
  ON CONFLICT (stream_id) DO NOTHING
  RETURNING 1`;
  const oneCommand = (command: boolean, k: number) =>
    command
      ? `, command AS (
  INSERT INTO ${s}.commands (stream_id, command_id, result)
  SELECT $1::text, $${4 + 6 * k}::text, $${5 + 6 * k}::jsonb || jsonb_build_object('commit', last.tx_id, 'prepare', last.seq) FROM last
)`
      : '';
  // The NOTIFY payload names the categories written (see commit-notice.ts): subscribers that read none of them skip their read.
  const oneCategory = `CASE WHEN split_part($1::text, '-', 1) ~ '${PLAIN_CATEGORY_SQL}' THEN ':' || split_part($1::text, '-', 1) ELSE '' END`;
  const oneRows = (k: number) =>
    Array.from(
      { length: k },
      (_, i) => `(${at(i, 0)}::uuid, ${i + 1}, ${at(i, 1)}::text, ${at(i, 2)}::integer, ${at(i, 3)}::jsonb, ${at(i, 4)}::jsonb, ${i === 0 ? '$3' : at(i - 1, 5)}::text, ${at(i, 5)}::text)`,
    ).join(',\n          ');
  const one = (exists: boolean, command: boolean, k: number) => `WITH locked AS MATERIALIZED (
  SELECT pg_try_advisory_xact_lock(hashtextextended($1::text, 0)) AS ok
), head AS (
  ${oneHead(exists, k)}
), ins AS (
  INSERT INTO ${s}.events (event_id, stream_id, category, revision, type, schema_version, data, metadata, prev_hash, hash, hash_version)
  SELECT v.id, $1::text, split_part($1::text, '-', 1), $2::bigint + v.n, v.type, v.sv, v.data, v.meta, v.prev, v.hash, 2
    FROM head, (VALUES ${oneRows(k)}) AS v(id, n, type, sv, data, meta, prev, hash)
   ORDER BY v.n
  RETURNING revision, tx_id, seq
), last AS (
  SELECT tx_id, seq FROM ins WHERE revision = $2::bigint + ${k}
), anchor AS (
  INSERT INTO ${s}.stream_anchors (stream_id, revision, hash) SELECT $1::text, $2::bigint + ${k}, ${at(k - 1, 5)}::text FROM last
)${oneCommand(command, k)}
SELECT last.tx_id, last.seq, CASE WHEN $${(command ? 6 : 4) + 6 * k}::boolean THEN pg_notify('${channel}', last.tx_id::text || ${oneCategory})::text END AS notified FROM last`;
  const many = (command: boolean, whole = false) => `WITH u AS (
  SELECT * FROM unnest($6::text[], $7::bigint[], $8::text[], $9::bigint[], $10::text[]) AS u(stream, cur, cur_hash, new_rev, new_hash)
), locked AS MATERIALIZED (
  SELECT coalesce(array_agg(u.stream) FILTER (WHERE pg_try_advisory_xact_lock(hashtextextended(u.stream, 0))), '{}') AS streams FROM u
), moved AS (
  UPDATE ${s}.streams st SET revision = u.new_rev, last_hash = u.new_hash
    FROM u, locked
   WHERE u.cur >= 0 AND u.stream = ANY(locked.streams) AND st.stream_id = u.stream AND st.revision = u.cur AND st.last_hash = u.cur_hash
  RETURNING st.stream_id
), created AS (
  INSERT INTO ${s}.streams (stream_id, revision, last_hash)
  SELECT u.stream, u.new_rev, u.new_hash FROM u, locked WHERE u.cur < 0 AND u.stream = ANY(locked.streams)
  ON CONFLICT (stream_id) DO NOTHING
  RETURNING stream_id
), ins AS (
  INSERT INTO ${s}.events (event_id, stream_id, category, revision, type, schema_version, data, metadata, prev_hash, hash, hash_version)
  SELECT e.id, e.stream, split_part(e.stream, '-', 1), e.rev, e.type, e.sv, e.data, e.meta, e.prev, e.hash, 2
    FROM ROWS FROM (unnest($11::text[]), unnest($12::uuid[]), unnest($13::bigint[]), unnest($14::text[]), unnest($15::integer[]),
                    jsonb_array_elements($16::jsonb), jsonb_array_elements($17::jsonb), unnest($18::text[]), unnest($19::text[]))
         WITH ORDINALITY AS e(stream, id, rev, type, sv, data, meta, prev, hash, o)
   WHERE e.stream IN (SELECT stream_id FROM moved UNION ALL SELECT stream_id FROM created)
   ORDER BY e.o
  RETURNING stream_id, revision, tx_id, seq
), written AS (
  SELECT a.stream, a.last_rev, a.last_hash, a.command, a.result, ins.tx_id, ins.seq
    FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS a(stream, last_rev, last_hash, command, result)
    JOIN ins ON ins.stream_id = a.stream AND ins.revision = a.last_rev
), anchor AS (
  INSERT INTO ${s}.stream_anchors (stream_id, revision, hash) SELECT w.stream, w.last_rev, w.last_hash FROM written w
)${
    command
      ? `, command AS (
  INSERT INTO ${s}.commands (stream_id, command_id, result)
  SELECT w.stream, w.command, w.result::jsonb || jsonb_build_object('commit', w.tx_id, 'prepare', w.seq) FROM written w WHERE w.command IS NOT NULL
)`
      : ''
  }
SELECT w.stream, w.last_rev, w.tx_id, w.seq,${whole ? `
       1 / (CASE WHEN (SELECT count(*) FROM written) = cardinality($1::text[]) THEN 1 ELSE 0 END) AS whole,` : ''}
       CASE WHEN $20::boolean THEN (
         SELECT pg_notify('${channel}', n.tx || CASE WHEN n.plain AND length(n.list) <= ${NOTICE_MAX_LIST} THEN ':' || n.list ELSE '' END)::text
           FROM (SELECT max(x.tx_id)::text AS tx, bool_and(split_part(x.stream, '-', 1) ~ '${PLAIN_CATEGORY_SQL}') AS plain,
                        string_agg(DISTINCT split_part(x.stream, '-', 1), ',') AS list FROM written x) n
       ) END AS notified
  FROM written w`;
  const probe = `SELECT st.revision, st.last_hash,
       (SELECT c.result FROM ${s}.commands c WHERE $2::text IS NOT NULL AND c.stream_id = $1::text AND c.command_id = $2::text) AS command_result,
       (SELECT ev.stream_id FROM ${s}.events ev WHERE ev.event_id = $3::uuid) AS first_owner
  FROM (SELECT 1) AS one LEFT JOIN ${s}.streams st ON st.stream_id = $1::text`;
  const duplicateOf = `SELECT min(ev.revision) AS first_revision, max(ev.revision) AS last_revision,
       (array_agg(ev.tx_id ORDER BY ev.revision DESC))[1] AS tx_id, (array_agg(ev.seq ORDER BY ev.revision DESC))[1] AS seq,
       array_agg(ev.event_id ORDER BY ev.revision) AS event_ids
  FROM ${s}.events ev WHERE ev.stream_id = $1::text AND ev.event_id = ANY($2::uuid[])`;
  const lock = `SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))`;
  const heads = `SELECT stream_id, revision, last_hash FROM ${s}.streams WHERE stream_id = ANY($1::text[])`;
  return {
    one: Array.from({ length: ONE_STREAM_MAX_EVENTS }, (_, i) => [
      [one(false, false, i + 1), one(false, true, i + 1)],
      [one(true, false, i + 1), one(true, true, i + 1)],
    ]),
    many: [many(false), many(true)],
    together: [many(false, true), many(true, true)],
    probe,
    heads,
    duplicateOf,
    lock,
  };
}
