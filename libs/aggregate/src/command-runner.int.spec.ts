import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { createTestDatabase, type TestDatabase } from '@baton/testing';
import { randomIds, manualClock } from './clock';
import { commandContextOf } from './command-context';
import { CommandRunner } from './command-runner';
import { counterAggregate, type CounterCommand, type CounterEvent, type CounterState } from './testing/counter.aggregate';

type Runner = CommandRunner<CounterState, CounterCommand, CounterEvent, { readonly ceiling: number }>;

describe('CommandRunner on the Postgres event store', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const clock = manualClock('2026-01-01T00:00:00.000Z');
  const runner = (cacheSize = 100, ceiling = 100): Runner => new CommandRunner(store, counterAggregate, { clock, ids: randomIds, cacheSize, environment: () => ({ ceiling }) });
  const inc = (by: number) => (metadata: { commandId: string; now: string }): CounterCommand => ({ type: 'Increment', data: { by }, metadata });
  const request = (commandId: string, by: number) => commandContextOf({ commandId, schemaVersion: 1, data: { by } }, undefined, 'baton.cmd.counter.increment');
  let n = 0;
  const id = () => `k${++n}`;

  beforeAll(async () => {
    db = await createTestDatabase('aggregate_kernel');
    store = await createPostgresEventStore({ connectionString: db.url });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('appends the decided events with metadata set in one place', async () => {
    const k = id();
    const ctx = { ...request('c1', 2), correlationId: 'run-7', causationId: 'evt-1', trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } };
    const r = await runner().execute(k, inc(2), ctx);
    expect(r).toMatchObject({ revision: 0, repeat: false, state: { value: 2 } });
    const [e] = await store.readStream(`counter-${k}`);
    expect(e!.metadata).toMatchObject({
      commandId: 'c1',
      correlationId: 'run-7',
      causationId: 'evt-1',
      actor: { kind: 'service', id: 'counter-test' },
      traceparent: ctx.trace.traceparent,
      commandHash: ctx.fingerprint,
      occurredAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('the same command id with the same body answers with the first outcome and appends nothing', async () => {
    const k = id();
    const r1 = runner();
    await r1.execute(k, inc(2), request('same', 2));
    const again = await runner().execute(k, inc(2), request('same', 2));
    expect(again).toMatchObject({ repeat: true, revision: 0, appended: [] });
    expect(await store.readStream(`counter-${k}`)).toHaveLength(1);
  });

  it('the same command id with a different body is IDEMPOTENCY_CONFLICT and appends nothing', async () => {
    const k = id();
    await runner().execute(k, inc(2), request('reused', 2));
    await expect(runner().execute(k, inc(5), request('reused', 5))).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await store.readStream(`counter-${k}`)).toHaveLength(1);
  });

  it('a stale cache is caught by the append and decided again (two replicas)', async () => {
    const k = id();
    const a = runner();
    const b = runner();
    await a.execute(k, inc(1), request('a1', 1));
    await b.execute(k, inc(1), request('b1', 1)); // b read the stream: value 2
    const r = await a.execute(k, inc(1), request('a2', 1)); // a's cache says value 1, revision 0
    expect(r).toMatchObject({ revision: 2, state: { value: 3 } });
  });

  it('a refusal from a stale cache is checked against the stream before it is reported', async () => {
    const k = id();
    const a = runner(100, 5);
    const b = runner(100, 5);
    await a.execute(k, inc(5), request('fill', 5));
    await b.execute(k, (m) => ({ type: 'Reset', data: {}, metadata: m }), request('reset', 0));
    // a's cache says 5 (at the ceiling); the stream says 0: the increment must be accepted.
    await expect(a.execute(k, inc(3), request('after-reset', 3))).resolves.toMatchObject({ state: { value: 3 }, revision: 2 });
  });

  it('a command decided as nothing from a stale cache is decided again on the stream', async () => {
    const k = id();
    const a = runner();
    const b = runner();
    await a.execute(k, (m) => ({ type: 'Reset', data: {}, metadata: m }), request('noop', 0));
    await b.execute(k, inc(4), request('b-inc', 4));
    const r = await a.execute(k, (m) => ({ type: 'Reset', data: {}, metadata: m }), request('reset-now', 0));
    expect(r.appended).toEqual([{ type: 'Reset', data: { at: '2026-01-01T00:00:00.000Z' } }]);
  });

  it('a command another replica already recorded is a repeat, not a second append', async () => {
    const k = id();
    const a = runner();
    const b = runner();
    await a.execute(k, inc(1), request('first', 1));
    await b.execute(k, inc(1), request('shared', 1));
    const r = await a.execute(k, inc(1), request('shared', 1));
    expect(r.repeat).toBe(true);
    expect(await store.readStream(`counter-${k}`)).toHaveLength(2);
  });

  it('racing writers in many processes: every command lands exactly once', async () => {
    // Eight replicas, 96 commands on one stream: a replica that wins decides its next command from memory and tends to win
    // again, so a loser may lose many times in a row (counted in attempts alone, its ten once ran out: WRONG_EXPECTED_VERSION).
    const k = id();
    const replicas = [runner(0), runner(100), runner(100), runner(0), runner(0), runner(100), runner(100), runner(0)];
    await Promise.all(Array.from({ length: 96 }, (_, i) => replicas[i % replicas.length]!.execute(k, inc(1), request(`race-${i}`, 1))));
    const events = await store.readStream(`counter-${k}`);
    expect(events).toHaveLength(96);
    expect(new Set(events.map((e) => e.metadata.commandId)).size).toBe(96);
  });

  it('load gives the state of the stream, even when another replica moved it', async () => {
    const k = id();
    const a = runner();
    await a.execute(k, inc(2), request('l1', 2));
    await runner().execute(k, inc(2), request('l2', 2));
    expect(await a.load(k)).toMatchObject({ revision: 1, state: { value: 4 } });
  });

  it('kept gives the state held in memory without a read (behind the stream if another writer moved it), and nothing for a stream not held', async () => {
    const k = id();
    const a = runner();
    expect(a.kept(k)).toBeUndefined();
    await a.execute(k, inc(2), request('kept-1', 2));
    expect(a.kept(k)).toEqual({ value: 2 });
    await runner().execute(k, inc(3), request('kept-2', 3));
    expect(a.kept(k)).toEqual({ value: 2 });
    expect((await a.load(k)).state).toEqual({ value: 5 });
    expect(runner(0).kept(k)).toBeUndefined();
  });

  it('assumeNew skips the first read, and a stream that exists after all is decided on as it is', async () => {
    const k = id();
    const fresh = await runner(0).execute(k, inc(2), request('new-1', 2), { assumeNew: true });
    expect(fresh).toMatchObject({ revision: 0, state: { value: 2 } });
    // Wrongly assumed new: the append at no_stream is refused, the stream is read, the command decided again.
    const again = await runner(0).execute(k, inc(3), request('new-2', 3), { assumeNew: true });
    expect(again).toMatchObject({ revision: 1, state: { value: 5 } });
    // A retried create is a repeat, not a second event.
    const repeat = await runner(0).execute(k, inc(2), request('new-1', 2), { assumeNew: true });
    expect(repeat).toMatchObject({ repeat: true });
    expect(await store.readStream(`counter-${k}`)).toHaveLength(2);
  });

  it('a settled stream is not kept hot: the next command on it reads the store, and a repeat is still a repeat', async () => {
    // The real store, its stream reads counted.
    let reads = 0;
    const counted = new Proxy(store, {
      get(target, key) {
        if (key === 'readStream') return (...args: Parameters<PostgresEventStore['readStream']>) => (reads++, target.readStream(...args));
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const settling = { ...counterAggregate, settled: (s: CounterState) => s.value >= 10 };
    const hot = new CommandRunner(counted, settling, { clock, ids: randomIds, cacheSize: 100, environment: () => ({ ceiling: 100 }) });
    const k = id();
    const readsFor = async (commandId: string, by: number) => {
      const before = reads;
      const r = await hot.execute(k, inc(by), request(commandId, by));
      return { reads: reads - before, r };
    };
    expect(await readsFor('s1', 5)).toMatchObject({ reads: 1, r: { state: { value: 5 } } });
    expect(await readsFor('s2', 4)).toMatchObject({ reads: 0, r: { state: { value: 9 } } }); // hot
    expect(await readsFor('s3', 1)).toMatchObject({ reads: 0, r: { state: { value: 10 } } }); // settles: dropped
    expect(await readsFor('s4', 1)).toMatchObject({ reads: 1, r: { state: { value: 11 }, revision: 3 } });
    expect(await readsFor('s3', 1)).toMatchObject({ reads: 1, r: { repeat: true, appended: [] } });
    expect(await store.readStream(`counter-${k}`)).toHaveLength(4);
  });

  it('commits a follow-up decision of another aggregate in the same transaction (alongside), or leaves it to after when they cannot go together', async () => {
    const told: string[] = [];
    const mirror = new CommandRunner(store, counterAggregate, { clock, ids: randomIds, cacheSize: 100, environment: () => ({ ceiling: 100 }), onCommitted: (r) => void told.push(`mirror@${r.revision}`) });
    const primary = new CommandRunner(store, counterAggregate, {
      clock,
      ids: randomIds,
      cacheSize: 100,
      environment: () => ({ ceiling: 100 }),
      onCommitted: (r) => void told.push(`primary@${r.revision}`),
      // Each increment of `p` is mirrored on `m`, under a command id of its own.
      alongside: (d) => mirror.decideAlongside(d.streamId.replace('counter-p', 'm'), inc((d.events[0] as { data: { by: number } }).data.by), request(`mirror:${d.recorded[0]!.metadata.commandId}`, 1)),
    });
    const k = id();
    await mirror.execute(`m${k}`, inc(1), request('m0', 1)); // the mirror's stream is kept hot in `mirror`
    await primary.execute(`p${k}`, inc(1), request('p0', 1));
    const [p0] = await store.readStream(`counter-p${k}`);
    const [, m1] = await store.readStream(`counter-m${k}`);
    expect(m1).toMatchObject({ type: 'Incremented', metadata: { commandId: 'mirror:p0' } });
    expect(m1!.position.commit).toBe(p0!.position.commit);
    expect(told).toEqual(['mirror@0', 'primary@0', 'mirror@1']);
    // The mirror runner remembers what was committed for it: the same command is a repeat.
    expect(await mirror.execute(`m${k}`, inc(1), request('mirror:p0', 1))).toMatchObject({ repeat: true, revision: 1 });

    // Another replica writes the mirror's stream: the pair cannot go together; the primary goes alone, nothing of the mirror's decision is written.
    await runner().execute(`m${k}`, inc(5), request('elsewhere', 5));
    told.length = 0;
    const r = await primary.execute(`p${k}`, inc(2), request('p1', 2));
    expect(r).toMatchObject({ revision: 1, state: { value: 3 } });
    expect(told).toEqual(['primary@1']);
    expect((await store.readStream(`counter-m${k}`)).map((e) => e.metadata.commandId)).toEqual(['m0', 'mirror:p0', 'elsewhere']);
    // Made after, as a caller without the shortcut does: on the stream as it is.
    expect(await mirror.execute(`m${k}`, inc(2), request('mirror:p1', 2))).toMatchObject({ revision: 3, state: { value: 9 } });
  });
});
