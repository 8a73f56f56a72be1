/**
 * Preload for a benchmarked service (`node -r @swc-node/register -r ./bench/pg-query-counter.ts ...`):
 * counts every Postgres round trip the process makes through `pg` (Client#query, which Pool#query,
 * Kysely and the event store all end up calling), by statement, with the time from the call to
 * its result. Changes nothing else. On SIGUSR2 it writes a snapshot (cumulative since start) to
 * `BENCH_PG_COUNTER_FILE` (atomically: write + rename), so a bench can diff two snapshots.
 * Without `BENCH_PG_COUNTER_FILE` it does nothing.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';

export interface PgCounterSnapshot {
  readonly snap: number;
  readonly pid: number;
  readonly total: { readonly calls: number; readonly ms: number };
  readonly byStatement: Record<string, { calls: number; ms: number }>;
}

/** How much of a statement's text its label is made from. */
const LABEL_SOURCE_CHARS = 400;
/** Stands for a literal while the label is made (a character no SQL text here holds). */
const LITERAL = '\u{E000}';

/** A short, stable label of a statement: its name (prepared) or its first words, whitespace collapsed. */
export function statementLabel(arg: unknown): string {
  let text: string | undefined;
  let name: string | undefined;
  if (typeof arg === 'string') text = arg;
  else if (arg && typeof arg === 'object') {
    const o = arg as { text?: unknown; name?: unknown };
    if (typeof o.text === 'string') text = o.text;
    if (typeof o.name === 'string') name = o.name;
  }
  // Literals written into a statement's text (a simple query, e.g. the projection runner's BEGIN with
  // its checkpoint's move) vary per call: one label for all of them, not one per value. Such texts
  // miss the label cache below on every call, so only their head is looked at (the label keeps 110
  // characters): the whole text of a projection's transaction, run through these expressions on
  // each call, was 2% of the measured scheduler's CPU in a drain. A literal cut off at the end of
  // the head is still written as one.
  // Literals become '…' (closed ones) and a literal the head cuts off ends it as one more.
  let head = (text ?? '').slice(0, LABEL_SOURCE_CHARS).replace(/'(?:[^']|'')*'/g, LITERAL);
  const open = head.indexOf("'");
  if (open >= 0) head = `${head.slice(0, open)}${LITERAL}`;
  const words = head
    .replace(/\s+/g, ' ')
    .trim()
    .replaceAll(LITERAL, "'…'")
    .replace(/(?<![$\w])\d+\b/g, 'N')
    .slice(0, 110);
  return name ? `[${name}] ${words.slice(0, 60)}` : words || '(submittable)';
}

const file = process.env.BENCH_PG_COUNTER_FILE;
if (file) {
  const stats = new Map<string, { calls: number; ms: number }>();
  let calls = 0;
  let totalMs = 0;
  let snap = 0;
  // Labels by statement text (or name): most texts repeat, so the label is computed once per text (up to 1,000 texts).
  const labels = new Map<string, string>();
  const note = (label: string, ms: number): void => {
    calls++;
    totalMs += ms;
    const s = stats.get(label);
    if (s) {
      s.calls++;
      s.ms += ms;
    } else stats.set(label, { calls: 1, ms });
  };
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function countedQuery(this: unknown, ...args: unknown[]): unknown {
    const a0 = args[0];
    const key = typeof a0 === 'string' ? a0 : a0 && typeof a0 === 'object' ? ((a0 as { name?: string }).name ?? (a0 as { text?: string }).text) : undefined;
    let label = key === undefined ? undefined : labels.get(key);
    if (label === undefined) {
      label = statementLabel(a0);
      // Bounded: texts with literals are new on every call, and their keys would hold megabytes the process is measured with.
      if (key !== undefined && labels.size < 1000) labels.set(key, label);
    }
    const t0 = performance.now();
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = (...r: unknown[]) => {
        note(label, performance.now() - t0);
        return (cb as (...a: unknown[]) => unknown)(...r);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => note(label, performance.now() - t0),
        () => note(label, performance.now() - t0),
      );
    } else {
      note(label, 0);
    }
    return result;
  };
  process.on('SIGUSR2', () => {
    snap++;
    const out: PgCounterSnapshot = {
      snap,
      pid: process.pid,
      total: { calls, ms: totalMs },
      byStatement: Object.fromEntries([...stats].map(([k, v]) => [k, { ...v }])),
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(out));
    renameSync(`${file}.tmp`, file);
  });
}
