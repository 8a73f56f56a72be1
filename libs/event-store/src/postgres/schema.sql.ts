import { ValidationError } from '@baton/contracts';

/**
 * DDL of the Postgres event store, in one schema (default `baton_es`).
 *
 * Why the global order is (tx_id, seq) and not a plain sequence: sequence values are
 * handed out at insert time but become visible at commit, in any order, so a reader that
 * checkpoints "last seq seen" skips an event whose transaction commits late. Every row
 * instead records the id of the transaction that wrote it (`tx_id`, a 64-bit xid8) and a
 * sequence number (`seq`) for its order inside the transaction. Readers only return rows
 * with `tx_id < pg_snapshot_xmin(pg_current_snapshot())`, the oldest transaction still
 * running: every transaction below it has finished, so no row with a smaller (tx_id, seq)
 * can appear later, and a checkpoint on (tx_id, seq) never skips. The price: a long
 * transaction anywhere in the cluster holds back delivery (not correctness) until it ends.
 *
 * Why the advisory lock comes first in every append: appends to one stream are serialized
 * by `pg_advisory_xact_lock(hashtextextended(stream_id, 0))`, taken before the transaction
 * writes anything, so before it is given an xid (advisory locks do not assign one). The
 * next append to the stream gets its xid only after acquiring the lock, i.e. after the
 * previous one committed, so a larger revision always has a larger tx_id and per-stream
 * order agrees with global order. The adapter's own append path (append.sql.ts) keeps
 * this rule with `pg_try_advisory_xact_lock`; the SQL functions below with the waiting one.
 */
export function schemaStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.events (
      tx_id bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
      seq bigserial NOT NULL,
      event_id uuid NOT NULL,
      stream_id text NOT NULL,
      category text NOT NULL,
      revision bigint NOT NULL,
      type text NOT NULL,
      schema_version integer NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      prev_hash text NOT NULL,
      hash text NOT NULL,
      PRIMARY KEY (tx_id, seq)
    )`,
    `CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision_uq ON ${s}.events (stream_id, revision)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS events_event_id_uq ON ${s}.events (event_id)`,
    `CREATE INDEX IF NOT EXISTS events_category_pos_ix ON ${s}.events (category, tx_id, seq)`,
    `CREATE TABLE IF NOT EXISTS ${s}.streams (
      stream_id text PRIMARY KEY,
      revision bigint NOT NULL,
      last_hash text NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.commands (
      stream_id text NOT NULL,
      command_id text NOT NULL,
      result jsonb NOT NULL,
      PRIMARY KEY (stream_id, command_id)
    )`,
    ...functionStatements(schema),
  ];
}

/**
 * Append-only protection and stream-head anchors (migration 0003). Postgres' own privileges
 * cannot stop the role that owns the tables, which is the role the services use, so a
 * trigger refuses every UPDATE, DELETE and TRUNCATE of events, anchors and idempotency
 * records, and every DELETE or TRUNCATE of stream heads (the heads are updated by `append`).
 * Only the owner or a superuser can switch the triggers off; what such a person deletes is
 * then caught by `verifyStream`: every append also writes a row to `stream_anchors`
 * (stream, last revision, last hash), a ledger apart from the head row, so deleting a
 * stream's last events together with its head leaves an anchor naming what is missing, and
 * an event inserted behind `append` has no anchor. The anchors live in the same database: an
 * attacker who also rewrites them is out of reach of any in-database check.
 */
export function protectionStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  const refuse = (table: string, events: string) =>
    [
      `DROP TRIGGER IF EXISTS append_only ON ${s}.${table}`,
      `CREATE TRIGGER append_only BEFORE ${events} ON ${s}.${table} FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_change()`,
    ] as const;
  return [
    // Waits for appends in flight and holds new ones until the backfill below commits, so
    // every stream's current head gets its anchor.
    `LOCK TABLE ${s}.events, ${s}.streams IN SHARE ROW EXCLUSIVE MODE`,
    `CREATE TABLE IF NOT EXISTS ${s}.stream_anchors (
      stream_id text NOT NULL,
      revision bigint NOT NULL,
      hash text NOT NULL,
      PRIMARY KEY (stream_id, revision)
    )`,
    `INSERT INTO ${s}.stream_anchors (stream_id, revision, hash) SELECT stream_id, revision, last_hash FROM ${s}.streams ON CONFLICT DO NOTHING`,
    `CREATE OR REPLACE FUNCTION ${s}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '${APPEND_ONLY_SQLSTATE}',
    MESSAGE = format('%I.%I is append-only: %s refused (events are written only by %I.append)', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, TG_TABLE_SCHEMA),
    HINT = 'stored events are evidence; record a correcting event instead';
END
$fn$`,
    ...refuse('events', 'UPDATE OR DELETE OR TRUNCATE'),
    ...refuse('stream_anchors', 'UPDATE OR DELETE OR TRUNCATE'),
    ...refuse('commands', 'UPDATE OR DELETE OR TRUNCATE'),
    ...refuse('streams', 'DELETE OR TRUNCATE'),
  ];
}

/**
 * Hash versions (migration 0004): events appended from then on are hashed in Node (version
 * 2, see hash-chain.ts) and say so; every row stored before keeps version 1, recomputed in
 * SQL by `event_hash` when verified. The SQL functions `append` and `append_group` stay for
 * SQL callers and still write version 1 (the column's default).
 */
export function hashVersionStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [`ALTER TABLE ${s}.events ADD COLUMN IF NOT EXISTS hash_version smallint NOT NULL DEFAULT 1`];
}

/**
 * The store's functions alone (CREATE OR REPLACE, so re-running them is harmless): a later
 * migration re-applies them when their bodies change, for databases migrated before.
 */
export function functionStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  const channel = notifyChannel(schema);
  return [
    // The text hashed is jsonb_build_array(...)::text: jsonb prints keys in a fixed order
    // and normalised spacing, so the same stored row always hashes the same.
    `CREATE OR REPLACE FUNCTION ${s}.event_hash(
      p_prev text, p_stream text, p_revision bigint, p_event_id uuid, p_type text,
      p_schema_version integer, p_data jsonb, p_metadata jsonb
    ) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
      SELECT encode(sha256(convert_to(
        p_prev || jsonb_build_array(p_stream, p_revision, p_event_id::text, p_type, p_schema_version, p_data, p_metadata)::text,
        'UTF8')), 'hex')
    $fn$`,
    appendOneFunction(s),
    appendFunction(s, channel),
    appendGroupFunction(s, channel),
  ];
}

/** SQLSTATE raised by `append` on a wrong expected revision (DETAIL: {"expected","actual"}). */
export const WRONG_EXPECTED_VERSION_SQLSTATE = 'BE409';
/** SQLSTATE raised by `append` when the first event id exists in another stream. */
export const DUPLICATE_EVENT_ID_SQLSTATE = 'BE410';
/** SQLSTATE raised by the protection trigger on an UPDATE, DELETE or TRUNCATE of stored events. */
export const APPEND_ONLY_SQLSTATE = 'BE403';

/**
 * One append, under a per-stream advisory lock its caller already holds. A refusal (wrong
 * expected revision, event id of another stream) is returned as `{"error": SQLSTATE, ...}`
 * rather than raised, so that one refused append does not abort the others of a group.
 * Every event is hashed in SQL over jsonb's text (the chain of earlier rows stays as it is).
 */
function appendOneFunction(s: string): string {
  return `CREATE OR REPLACE FUNCTION ${s}.append_one(p_stream text, p_expected text, p_command text, p_events jsonb)
  RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_result jsonb;
  v_n integer;
  v_other text;
  v_current bigint;
  v_hash text;
  v_ids uuid[];
  v_texts bytea[];
  v_prevs text[];
  v_hashes text[];
  v_i integer;
  v_tx bigint;
  v_seq bigint;
BEGIN
  IF p_command IS NOT NULL THEN
    SELECT c.result INTO v_result FROM ${s}.commands c WHERE c.stream_id = p_stream AND c.command_id = p_command;
    IF FOUND THEN
      RETURN v_result || '{"duplicate": true}'::jsonb;
    END IF;
  END IF;

  -- Stream head and the "first event id already stored?" probe in one statement.
  SELECT st.revision, st.last_hash,
         (SELECT ev.stream_id FROM ${s}.events ev WHERE ev.event_id = (p_events->0->>'eventId')::uuid)
    INTO v_current, v_hash, v_other
    FROM (SELECT 1) AS one LEFT JOIN ${s}.streams st ON st.stream_id = p_stream;

  IF v_other IS NOT NULL THEN
    IF v_other <> p_stream THEN
      RETURN jsonb_build_object('error', '${DUPLICATE_EVENT_ID_SQLSTATE}', 'eventId', p_events->0->>'eventId', 'existingStreamId', v_other);
    END IF;
    SELECT jsonb_build_object(
        'firstRevision', min(ev.revision),
        'nextExpectedRevision', max(ev.revision),
        'commit', (array_agg(ev.tx_id ORDER BY ev.revision DESC))[1],
        'prepare', (array_agg(ev.seq ORDER BY ev.revision DESC))[1],
        'eventIds', jsonb_agg(ev.event_id ORDER BY ev.revision),
        'duplicate', true)
      INTO v_result
      FROM ${s}.events ev
     WHERE ev.stream_id = p_stream
       AND ev.event_id IN (SELECT (t.e->>'eventId')::uuid FROM jsonb_array_elements(p_events) AS t(e));
    RETURN v_result;
  END IF;

  IF v_current IS NULL THEN
    v_current := -1;
    v_hash := repeat('0', 64);
  END IF;

  IF NOT (CASE
      WHEN p_expected = 'any' THEN true
      WHEN p_expected = 'no_stream' THEN v_current < 0
      WHEN p_expected = 'stream_exists' THEN v_current >= 0
      WHEN p_expected ~ '^[0-9]+$' THEN v_current = p_expected::bigint
      ELSE false END) THEN
    RETURN jsonb_build_object('error', '${WRONG_EXPECTED_VERSION_SQLSTATE}', 'expected', p_expected,
      'actual', CASE WHEN v_current < 0 THEN 'no_stream' ELSE v_current::text END);
  END IF;

  v_n := jsonb_array_length(p_events);
  IF v_n = 1 THEN
    -- One event: hashed inside the INSERT (same bytes as event_hash); head, anchor and
    -- events written by one statement.
    WITH ins AS (
      INSERT INTO ${s}.events AS ev (event_id, stream_id, category, revision, type, schema_version, data, metadata, prev_hash, hash)
      SELECT t.id, p_stream, split_part(p_stream, '-', 1), v_current + 1, t.e->>'type', t.sv, t.e->'data', t.e->'metadata', v_hash,
             encode(sha256(convert_to(v_hash || jsonb_build_array(p_stream, v_current + 1, t.id::text, t.e->>'type', t.sv,
               t.e->'data', t.e->'metadata')::text, 'UTF8')), 'hex')
        FROM (SELECT p_events->0 AS e, (p_events->0->>'eventId')::uuid AS id, (p_events->0->>'schemaVersion')::integer AS sv) AS t
      RETURNING ev.hash, ev.event_id, ev.tx_id, ev.seq
    ), head AS (
      INSERT INTO ${s}.streams (stream_id, revision, last_hash) SELECT p_stream, v_current + 1, ins.hash FROM ins
      ON CONFLICT (stream_id) DO UPDATE SET revision = EXCLUDED.revision, last_hash = EXCLUDED.last_hash
    ), anchor AS (
      INSERT INTO ${s}.stream_anchors (stream_id, revision, hash) SELECT p_stream, v_current + 1, ins.hash FROM ins
    )
    SELECT ins.hash, ARRAY[ins.event_id], ins.tx_id, ins.seq INTO v_hash, v_ids, v_tx, v_seq FROM ins;
  ELSE
    -- The text of every event in one pass; then the chain, which is sequential, hashes
    -- bytes only (same bytes as event_hash: convert_to(a || b) = convert_to(a) || convert_to(b)).
    SELECT array_agg(x.id ORDER BY x.o),
           array_agg(convert_to(jsonb_build_array(p_stream, v_current + x.o, x.id::text, x.type, x.sv, x.data, x.metadata)::text, 'UTF8') ORDER BY x.o)
      INTO v_ids, v_texts
      FROM ROWS FROM (jsonb_to_recordset(p_events) AS ("eventId" uuid, type text, "schemaVersion" integer, data jsonb, metadata jsonb))
           WITH ORDINALITY AS x(id, type, sv, data, metadata, o);
    v_prevs := array_fill(NULL::text, ARRAY[v_n]);
    v_hashes := array_fill(NULL::text, ARRAY[v_n]);
    FOR v_i IN 1 .. v_n LOOP
      v_prevs[v_i] := v_hash;
      v_hash := encode(sha256(convert_to(v_hash, 'UTF8') || v_texts[v_i]), 'hex');
      v_hashes[v_i] := v_hash;
    END LOOP;
    -- The arrays are unnested once (indexing them per row would copy them per row).
    WITH ins AS (
      INSERT INTO ${s}.events (event_id, stream_id, category, revision, type, schema_version, data, metadata, prev_hash, hash)
      SELECT x.id, p_stream, split_part(p_stream, '-', 1), v_current + x.o, x.type, x.sv, x.data, x.metadata, h.prev, h.hash
        FROM ROWS FROM (jsonb_to_recordset(p_events) AS ("eventId" uuid, type text, "schemaVersion" integer, data jsonb, metadata jsonb))
             WITH ORDINALITY AS x(id, type, sv, data, metadata, o)
        JOIN unnest(v_prevs, v_hashes) WITH ORDINALITY AS h(prev, hash, o) ON h.o = x.o
       ORDER BY x.o
      RETURNING tx_id, seq
    ), head AS (
      INSERT INTO ${s}.streams (stream_id, revision, last_hash) VALUES (p_stream, v_current + v_n, v_hash)
      ON CONFLICT (stream_id) DO UPDATE SET revision = EXCLUDED.revision, last_hash = EXCLUDED.last_hash
    ), anchor AS (
      INSERT INTO ${s}.stream_anchors (stream_id, revision, hash) VALUES (p_stream, v_current + v_n, v_hash)
    )
    SELECT max(ins.tx_id), max(ins.seq) INTO v_tx, v_seq FROM ins;
  END IF;

  v_result := jsonb_build_object('firstRevision', v_current + 1, 'nextExpectedRevision', v_current + v_n,
    'commit', v_tx, 'prepare', v_seq, 'eventIds', to_jsonb(v_ids), 'duplicate', false);
  IF p_command IS NOT NULL THEN
    INSERT INTO ${s}.commands (stream_id, command_id, result) VALUES (p_stream, p_command, v_result);
  END IF;
  RETURN v_result;
END
$fn$`;
}

function appendFunction(s: string, channel: string): string {
  // p_notify (default true): NOTIFY in the appending transaction takes a database-wide
  // lock from pre-commit until the commit record is flushed, so concurrent notifying
  // appenders commit one fsync at a time (measured: 8 writers fell from ~2000 to ~800
  // commits/s). The TypeScript adapter passes true only for an append that runs alone in
  // its process and otherwise false, sending one coalesced NOTIFY per process right after
  // the commits return (PgNotifier). SQL callers keep the default.
  return `CREATE OR REPLACE FUNCTION ${s}.append(p_stream text, p_expected text, p_command text, p_events jsonb, p_notify boolean DEFAULT true)
  RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_result jsonb;
BEGIN
  -- First statement, before this transaction has an xid: see schema.sql.ts.
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));
  v_result := ${s}.append_one(p_stream, p_expected, p_command, p_events);
  IF v_result ? 'error' THEN
    IF v_result->>'error' = '${DUPLICATE_EVENT_ID_SQLSTATE}' THEN
      RAISE EXCEPTION USING ERRCODE = '${DUPLICATE_EVENT_ID_SQLSTATE}',
        MESSAGE = format('event id %s already exists in stream %s', v_result->>'eventId', v_result->>'existingStreamId'),
        DETAIL = (v_result - 'error')::text;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}',
      MESSAGE = format('stream %s: expected revision %s', p_stream, p_expected),
      DETAIL = (v_result - 'error')::text;
  END IF;
  -- Delivered at commit: live subscribers wake within a round trip. See p_notify above.
  IF p_notify AND NOT (v_result->>'duplicate')::boolean THEN
    PERFORM pg_notify('${channel}', v_result->>'commit');
  END IF;
  RETURN v_result;
END
$fn$`;
}

/**
 * Group commit: the appends of many concurrent callers in one transaction, one round trip
 * and one commit. p_appends is [{"stream","expected","command","events"}, ...]; the result
 * is the array of each append's result or refusal (`{"error": SQLSTATE, ...}`), in order.
 * The advisory locks of all the group's streams are taken first, in key order: before the
 * transaction has an xid (so per-stream order still agrees with global order) and in one
 * order for every group (so two groups never wait on each other in a cycle). Appends to one
 * stream inside a group run one after the other, as they would have one by one.
 */
function appendGroupFunction(s: string, channel: string): string {
  return `CREATE OR REPLACE FUNCTION ${s}.append_group(p_appends jsonb, p_notify boolean DEFAULT true)
  RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_results jsonb[];
  v_a jsonb;
  v_written boolean := false;
  v_r jsonb;
  v_i integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(k.key)
     FROM (SELECT DISTINCT hashtextextended(a->>'stream', 0) AS key FROM jsonb_array_elements(p_appends) AS a ORDER BY 1) AS k;
  v_results := array_fill(NULL::jsonb, ARRAY[jsonb_array_length(p_appends)]);
  FOR v_a IN SELECT a FROM jsonb_array_elements(p_appends) AS a LOOP
    v_r := ${s}.append_one(v_a->>'stream', v_a->>'expected', v_a->>'command', v_a->'events');
    v_i := v_i + 1;
    v_results[v_i] := v_r;
    v_written := v_written OR NOT (v_r ? 'error' OR (v_r->>'duplicate')::boolean);
  END LOOP;
  IF p_notify AND v_written THEN
    PERFORM pg_notify('${channel}', pg_current_xact_id()::text);
  END IF;
  RETURN to_jsonb(v_results);
END
$fn$`;
}

/** Quotes an SQL identifier after checking it is a plain lower-case name. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new ValidationError(`invalid schema name "${name}": use [a-z_][a-z0-9_]*`, { field: 'schema' });
  return `"${name}"`;
}

/** LISTEN/NOTIFY channel of a store schema. */
export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}
