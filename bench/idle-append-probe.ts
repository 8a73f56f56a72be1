/**
 * Idle append probe: how long one append takes when the database has been idle a few ms before
 * it (as in bench:dispatch's idle phase), beside a raw insert and a raw insert with NOTIFY, in
 * turns, on a database of its own (created and dropped).
 *
 *   node -r @swc-node/register bench/idle-append-probe.ts [rounds=200] [gap ms=5]
 *
 * Needs DATABASE_URL (an admin connection: `eval "$(bash scripts/infra.sh env)"`). Prints p50 and
 * p90 per kind: raw, rawNotify, appendCmd (a task's two first events with a command id),
 * appendNoCmd, append1 (one event).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { dropDatabase } from '@baton/testing';
import { createPostgresEventStore } from '../libs/event-store/src/index';
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
  const m = { raw: [], rawNotify: [], appendCmd: [], appendNoCmd: [], append1: [] } as Record<'raw' | 'rawNotify' | 'appendCmd' | 'appendNoCmd' | 'append1', number[]>;
  const tag = randomBytes(3).toString('hex');
  for (let i = 0; i < N; i++) {
    await sleep(gap); let t = performance.now();
    await raw.query({ name: 'i', text: 'INSERT INTO raw (task_id, data) VALUES ($1, $2)', values: [`t${i}`, '{"a":1}'] }); m.raw.push(performance.now() - t);
    await sleep(gap); t = performance.now();
    await raw.query({ name: 'n', text: "WITH i AS (INSERT INTO raw (task_id, data) VALUES ($1, $2) RETURNING id) SELECT pg_notify('raw_ch', id::text) FROM i", values: [`n${i}`, '{"a":1}'] }); m.rawNotify.push(performance.now() - t);
    await sleep(gap); t = performance.now();
    await store.append(`task-${tag}c${i}`, [{ type: 'TaskCreated', data, metadata }, { type: 'TaskAssigned', data, metadata }], { expectedRevision: 'no_stream', commandId: randomUUID() }); m.appendCmd.push(performance.now() - t);
    await sleep(gap); t = performance.now();
    await store.append(`task-${tag}n${i}`, [{ type: 'TaskCreated', data, metadata }, { type: 'TaskAssigned', data, metadata }], { expectedRevision: 'no_stream' }); m.appendNoCmd.push(performance.now() - t);
    await sleep(gap); t = performance.now();
    await store.append(`task-${tag}o${i}`, [{ type: 'TaskCreated', data, metadata }], { expectedRevision: 'no_stream' }); m.append1.push(performance.now() - t);
  }
  for (const [k, v] of Object.entries(m) as [string, number[]][]) { v.sort((a, b) => a - b); console.log(k.padEnd(12), 'p50', v[v.length >> 1]!.toFixed(3), 'p90', v[Math.floor(v.length * 0.9)]!.toFixed(3)); }
  await store.close?.(); await raw.end(); await listener.end();
  await dropDatabase(admin, name); await admin.end();
}
main().catch((e) => { console.error(e); process.exit(1); });
