/**
 * Idle append probe: how long one append takes when the database has been idle a few ms before
 * it (as in bench:dispatch's idle phase), beside a raw insert and a raw insert with NOTIFY, in
 * turns, on a database of its own (created and dropped).
 *
 *   node -r @swc-node/register bench/idle-append-probe.ts [rounds=200] [gap ms=5]
 *
 * Needs DATABASE_URL (an admin connection: `eval "$(bash scripts/infra.sh env)"`). Prints p50 and
 * p90 per kind: raw, rawNotify, statement (the store's statement for appendCmd's append, sent with
 * the same kind of values by a plain client: what Postgres alone takes), appendCmd (a task's two
 * first events with a command id), appendNoCmd, append1 (one event); and appendCmd in three parts:
 * its time in Node before the statement is sent (validation, hashing, the statement's values),
 * the statement, and after its reply.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { dropDatabase } from '@baton/testing';
import { createPostgresEventStore } from '../libs/event-store/src/index';
import { appendStatements } from '../libs/event-store/src/postgres/append.sql';

/** When the store last sent its one-stream append statement, and when its reply came (pg's Client.query, wrapped for this probe only). */
const sent = { at: 0, replied: 0 };
const query = Client.prototype.query as (...args: unknown[]) => unknown;
(Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: Client, ...args: unknown[]) {
  const q = args[0] as { name?: unknown } | undefined;
  const mine = typeof q?.name === 'string' && q.name.startsWith('baton_es_append_one');
  if (mine) sent.at = performance.now();
  const r = query.apply(this, args);
  if (mine && r instanceof Promise) r.then(() => (sent.replied = performance.now()), () => undefined);
  return r;
};
const ADMIN_URL = process.env.DATABASE_URL!;
const N = Number(process.argv[2] ?? 200);
const gap = Number(process.argv[3] ?? 5);
const data = { taskId: 'x', action: 'bench', requirement: { capabilities: ['c'] }, priority: 'P1', inputs: { n: 1 } };
const metadata = { occurredAt: '2026-01-01T00:00:00.000Z', correlationId: randomUUID(), causationId: randomUUID(), actor: { kind: 'system' as const, id: 'x' } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function main() {
  const name = `baton_prof_${randomBytes(4).toString('hex')}`;
  const admin = new Pool({ connectionString: ADMIN_URL, max: 1 });
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL); url.pathname = `/${name}`;
  const store = await createPostgresEventStore({ connectionString: url.toString(), poolSize: 4 });
  const raw = new Client({ connectionString: url.toString() }); await raw.connect();
  await raw.query('CREATE TABLE raw (id bigserial PRIMARY KEY, task_id text NOT NULL, data jsonb NOT NULL)');
  const listener = new Client({ connectionString: url.toString() }); await listener.connect();
  let notes = 0; listener.on('notification', () => notes++);
  await listener.query('LISTEN raw_ch');
  const kinds = ['raw', 'rawNotify', 'statement', 'appendCmd', 'appendCmd:beforeSend', 'appendCmd:statement', 'appendCmd:afterReply', 'appendNoCmd', 'append1'] as const;
  const m = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<(typeof kinds)[number], number[]>;
  // Two events of a new stream, with a command id: the statement appendCmd's append is sent as.
  const statement = appendStatements('baton_es').one[1]![0]![1]!;
  const hash = () => randomBytes(32).toString('hex');
  const d = JSON.stringify(data);
  const md = JSON.stringify(metadata);
  const tag = randomBytes(3).toString('hex');
  for (let i = 0; i < N; i++) {
    await sleep(gap); let t = performance.now();
    await raw.query({ name: 'i', text: 'INSERT INTO raw (task_id, data) VALUES ($1, $2)', values: [`t${i}`, '{"a":1}'] }); m.raw.push(performance.now() - t);
    await sleep(gap); t = performance.now();
    await raw.query({ name: 'n', text: "WITH i AS (INSERT INTO raw (task_id, data) VALUES ($1, $2) RETURNING id) SELECT pg_notify('raw_ch', id::text) FROM i", values: [`n${i}`, '{"a":1}'] }); m.rawNotify.push(performance.now() - t);
    const values = [`task-${tag}s${i}`, -1, '0'.repeat(64), randomUUID(), 'TaskCreated', 1, d, md, hash(), randomUUID(), 'TaskAssigned', 1, d, md, hash(), randomUUID(), '{"x":1}', true];
    await sleep(gap); t = performance.now();
    await raw.query({ name: 's', text: statement, values }); m.statement.push(performance.now() - t);
    await sleep(gap); t = performance.now();
    await store.append(`task-${tag}c${i}`, [{ type: 'TaskCreated', data, metadata }, { type: 'TaskAssigned', data, metadata }], { expectedRevision: 'no_stream', commandId: randomUUID() });
    const done = performance.now();
    m.appendCmd.push(done - t);
    m['appendCmd:beforeSend'].push(sent.at - t);
    m['appendCmd:statement'].push(sent.replied - sent.at);
    m['appendCmd:afterReply'].push(done - sent.replied);
    await sleep(gap); t = performance.now();
    await store.append(`task-${tag}n${i}`, [{ type: 'TaskCreated', data, metadata }, { type: 'TaskAssigned', data, metadata }], { expectedRevision: 'no_stream' }); m.appendNoCmd.push(performance.now() - t);
    await sleep(gap); t = performance.now();
    await store.append(`task-${tag}o${i}`, [{ type: 'TaskCreated', data, metadata }], { expectedRevision: 'no_stream' }); m.append1.push(performance.now() - t);
  }
  for (const [k, v] of Object.entries(m) as [string, number[]][]) { v.sort((a, b) => a - b); console.log(k.padEnd(21), 'p50', v[v.length >> 1]!.toFixed(3), 'p90', v[Math.floor(v.length * 0.9)]!.toFixed(3)); }
  await store.close?.(); await raw.end(); await listener.end();
  await dropDatabase(admin, name); await admin.end();
}
main().catch((e) => { console.error(e); process.exit(1); });
