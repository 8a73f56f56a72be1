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
 * Why the advisory lock comes first in `append`: appends to one stream are serialized by
 * `pg_advisory_xact_lock(hashtextextended(stream_id, 0))`, taken before the transaction
 * writes anything, so before it is given an xid (advisory locks do not assign one). The
 * next append to the stream gets its xid only after acquiring the lock, i.e. after the
 * previous one committed, so a larger revision always has a larger tx_id and per-stream
 * order agrees with global order.
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
    appendFunction(s, channel),
  ];
}

/** SQLSTATE raised by `append` on a wrong expected revision (DETAIL: {"expected","actual"}). */
export const WRONG_EXPECTED_VERSION_SQLSTATE = 'BE409';
/** SQLSTATE raised by `append` when the first event id exists in another stream. */
export const DUPLICATE_EVENT_ID_SQLSTATE = 'BE410';

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
  v_ids uuid[];
  v_n integer;
  v_other text;
  v_current bigint;
  v_hash text;
  v_prevs text[] := ARRAY[]::text[];
  v_hashes text[] := ARRAY[]::text[];
  v_texts bytea[];
  v_first_id uuid;
  v_i integer;
  v_tx bigint;
  v_seq bigint;
BEGIN
  -- First statement, before this transaction has an xid: see schema.sql.ts.
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));

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
      RAISE EXCEPTION USING ERRCODE = '${DUPLICATE_EVENT_ID_SQLSTATE}',
        MESSAGE = format('event id %s already exists in stream %s', p_events->0->>'eventId', v_other),
        DETAIL = jsonb_build_object('eventId', p_events->0->>'eventId', 'existingStreamId', v_other)::text;
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
    RAISE EXCEPTION USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}',
      MESSAGE = format('stream %s: expected revision %s', p_stream, p_expected),
      DETAIL = jsonb_build_object('expected', p_expected,
        'actual', CASE WHEN v_current < 0 THEN 'no_stream' ELSE v_current::text END)::text;
  END IF;

  IF jsonb_array_length(p_events) = 1 THEN
    -- Hot path, one event: the hash (same bytes as event_hash) is computed in the INSERT.
    INSERT INTO ${s}.events AS ev (event_id, stream_id, category, revision, type, schema_version, data, metadata, prev_hash, hash)
    SELECT t.id, p_stream, split_part(p_stream, '-', 1), v_current + 1, t.e->>'type', t.sv, t.e->'data', t.e->'metadata', v_hash,
           encode(sha256(convert_to(v_hash || jsonb_build_array(p_stream, v_current + 1, t.id::text, t.e->>'type', t.sv,
             t.e->'data', t.e->'metadata')::text, 'UTF8')), 'hex')
      FROM (SELECT p_events->0 AS e, (p_events->0->>'eventId')::uuid AS id, (p_events->0->>'schemaVersion')::integer AS sv) AS t
    RETURNING ev.hash, ev.event_id, ev.tx_id, ev.seq INTO v_hash, v_first_id, v_tx, v_seq;
    v_ids := ARRAY[v_first_id];
    v_n := 1;
  ELSE
    -- Ids and the text of every event in one pass; then the chain, which is sequential,
    -- hashes bytes only (same bytes as event_hash: convert_to(a || b) = convert_to(a) || convert_to(b)).
    SELECT array_agg((t.e->>'eventId')::uuid ORDER BY t.o),
           array_agg(convert_to(jsonb_build_array(p_stream, v_current + t.o, (t.e->>'eventId')::uuid::text, t.e->>'type',
             (t.e->>'schemaVersion')::integer, t.e->'data', t.e->'metadata')::text, 'UTF8') ORDER BY t.o)
      INTO v_ids, v_texts FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(e, o);
    v_n := cardinality(v_ids);
    v_prevs := ARRAY[v_hash];
    FOR v_i IN 1 .. v_n LOOP
      v_hash := encode(sha256(convert_to(v_hash, 'UTF8') || v_texts[v_i]), 'hex');
      v_hashes[v_i] := v_hash;
    END LOOP;
    v_prevs := v_prevs || v_hashes[1:v_n - 1];

    INSERT INTO ${s}.events (event_id, stream_id, category, revision, type, schema_version, data, metadata, prev_hash, hash)
    SELECT v_ids[t.o], p_stream, split_part(p_stream, '-', 1), v_current + t.o, t.e->>'type',
           (t.e->>'schemaVersion')::integer, t.e->'data', t.e->'metadata', v_prevs[t.o], v_hashes[t.o]
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(e, o)
     ORDER BY t.o;
    -- This transaction's id (the rows' tx_id default) and the last seq it drew.
    v_tx := pg_current_xact_id()::text::bigint;
    v_seq := currval('${s}.events_seq_seq'::regclass);
  END IF;

  IF v_current < 0 THEN
    INSERT INTO ${s}.streams (stream_id, revision, last_hash) VALUES (p_stream, v_n - 1, v_hash);
  ELSE
    UPDATE ${s}.streams SET revision = v_current + v_n, last_hash = v_hash WHERE stream_id = p_stream;
  END IF;

  v_result := jsonb_build_object('firstRevision', v_current + 1, 'nextExpectedRevision', v_current + v_n,
    'commit', v_tx, 'prepare', v_seq, 'eventIds', to_jsonb(v_ids), 'duplicate', false);
  IF p_command IS NOT NULL THEN
    INSERT INTO ${s}.commands (stream_id, command_id, result) VALUES (p_stream, p_command, v_result);
  END IF;
  -- Delivered at commit: live subscribers wake within a round trip. See p_notify above.
  IF p_notify THEN
    PERFORM pg_notify('${channel}', v_tx::text);
  END IF;
  RETURN v_result;
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
