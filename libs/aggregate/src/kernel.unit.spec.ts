import { manualClock, sequentialIds } from './clock';
import { commandContextOf, commandFingerprint, serviceContext } from './command-context';
import { alongsideOf, type Alongside } from './command-runner';
import { deciderSpec } from './decider-spec';
import { eventReader } from './event-reader';
import { counterAggregate, CounterEventSchemas, type CounterCommand, type CounterEvent } from './testing/counter.aggregate';

const at = '2026-01-01T00:00:00.000Z';
const metadata = { commandId: 'c1', now: at };
const increment = (by: number): CounterCommand => ({ type: 'Increment', data: { by }, metadata });

describe('deciderSpec', () => {
  const spec = deciderSpec(counterAggregate, { ceiling: 10 });

  it('given past events, when a command, then the events decided', () => {
    const after = spec.given([{ type: 'Incremented', data: { by: 2, at } }]).when(increment(3)).then([{ type: 'Incremented', data: { by: 3, at } }]);
    expect(after).toEqual({ value: 5 });
  });

  it('then fails when the events differ', () => {
    expect(() => spec.given([]).when(increment(3)).then([{ type: 'Incremented', data: { by: 4, at } }])).toThrow();
  });

  it('thenThrows checks the error code', () => {
    spec.given([{ type: 'Incremented', data: { by: 9, at } }]).when(increment(2)).thenThrows('CONFLICT', /ceiling 10/);
    expect(() => spec.given([]).when(increment(2)).thenThrows('CONFLICT')).toThrow(/decided events/);
  });

  it('an empty decision is a decision', () => {
    spec.given([]).when({ type: 'Reset', data: {}, metadata }).then([]);
  });
});

describe('eventReader', () => {
  const read = eventReader<CounterEvent>('counter', CounterEventSchemas);

  it('reads a known event through its schema', () => {
    expect(read({ type: 'Incremented', schemaVersion: 1, data: { by: 1, at } })).toEqual({ type: 'Incremented', data: { by: 1, at } });
  });

  it('refuses an unknown type or a version from the future with UNKNOWN_SCHEMA_VERSION', () => {
    expect(() => read({ type: 'Exploded', schemaVersion: 1, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
    expect(() => read({ type: 'Incremented', schemaVersion: 2, data: { by: 1, at } })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
    expect(() => read({ type: 'toString', schemaVersion: 1, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
  });

  it('reads one stored object once: the same event again without a parse, another object with the same content anew', () => {
    const reader = eventReader<CounterEvent>('counter', CounterEventSchemas);
    const stored = { type: 'Incremented', schemaVersion: 1, data: { by: 1, at } };
    const first = reader(stored);
    expect(reader(stored)).toBe(first);
    const copy = { ...stored, data: { ...stored.data } };
    expect(reader(copy)).not.toBe(first);
    expect(reader(copy)).toEqual(first);
    // A stored object that fails its schema is not remembered: each read refuses it.
    const bad = { type: 'Incremented', schemaVersion: 1, data: { by: 'one', at } };
    expect(() => reader(bad)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => reader(bad)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('names stored data that does not match its schema as INTERNAL', () => {
    expect(() => read({ type: 'Incremented', schemaVersion: 1, data: { by: 'one', at } })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('upcasts an old version step by step before parsing', () => {
    const v2 = eventReader<CounterEvent>('counter', CounterEventSchemas, {
      latestVersion: { Incremented: 3 },
      upcasters: {
        Incremented: {
          1: (d) => ({ ...(d as object), at }),
          2: (d) => ({ ...(d as { by: number }), by: (d as { by: number }).by * 10 }),
        },
      },
    });
    expect(v2({ type: 'Incremented', schemaVersion: 1, data: { by: 1 } })).toEqual({ type: 'Incremented', data: { by: 10, at } });
  });
});

describe('command context', () => {
  const envelope = { commandId: 'cmd-1', schemaVersion: 1, correlationId: 'run-1', actor: { kind: 'agent' as const, id: 'A' }, data: { b: 1, a: 2 } };
  const headers = { getHeader: (name: string) => (name === 'traceparent' ? '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' : undefined) };

  it('takes ids and actor from the envelope and the trace from the headers', () => {
    const ctx = commandContextOf(envelope, headers, 'baton.cmd.x.y');
    expect(ctx).toMatchObject({ commandId: 'cmd-1', correlationId: 'run-1', actor: { kind: 'agent', id: 'A' }, trace: { traceparent: expect.stringMatching(/^00-/) } });
    expect(ctx.trace?.tracestate).toBeUndefined();
  });

  it('fingerprints subject and data, whatever the key order', () => {
    expect(commandFingerprint('s', { a: 2, b: 1 })).toBe(commandContextOf(envelope, headers, 's').fingerprint);
    expect(commandFingerprint('s', { a: 2, b: 2 })).not.toBe(commandFingerprint('s', { a: 2, b: 1 }));
    expect(commandFingerprint('t', { a: 2, b: 1 })).not.toBe(commandFingerprint('s', { a: 2, b: 1 }));
  });

  it('a service context names the service as actor', () => {
    expect(serviceContext('scheduler', 'expire:t1:2', { causationId: 'e1' })).toEqual({ commandId: 'expire:t1:2', actor: { kind: 'service', id: 'scheduler' }, causationId: 'e1' });
  });
});

describe('clock and ids', () => {
  it('a manual clock moves only when told', () => {
    const clock = manualClock(at);
    clock.advance(60_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:01:00.000Z');
  });

  it('sequential ids count up', () => {
    const ids = sequentialIds('e');
    expect([ids.newId(), ids.newId()]).toEqual(['e-1', 'e-2']);
  });
});

describe('alongsideOf', () => {
  const part = (name: string, streams: string[], log: string[]): Alongside => ({
    appends: streams.map((streamId) => ({ streamId, events: [] })),
    committed: (results) => {
      log.push(`${name} remembers ${results.map((r) => r.streamId).join(',')}`);
      return () => void log.push(`${name} told`);
    },
    abandoned: () => void log.push(`${name} abandoned`),
  });
  const result = (streamId: string) => ({ streamId, firstRevision: 0, nextExpectedRevision: 0, position: { commit: 1, prepare: 0 }, eventIds: [], duplicate: false });

  it('gives each part its own results, remembers all before telling any, and tells in order', () => {
    const log: string[] = [];
    const all = alongsideOf([part('run', ['run-1'], log), part('tasks', ['task-a', 'task-b'], log)])!;
    expect(all.appends.map((a) => a.streamId)).toEqual(['run-1', 'task-a', 'task-b']);
    const tell = all.committed(['run-1', 'task-a', 'task-b'].map(result));
    expect(log).toEqual(['run remembers run-1', 'tasks remembers task-a,task-b']);
    tell();
    expect(log.slice(2)).toEqual(['run told', 'tasks told']);
  });

  it('gives back every part when they did not go, and is nothing for no parts', () => {
    const log: string[] = [];
    alongsideOf([part('a', ['x-1'], log), part('b', ['y-1'], log)])!.abandoned();
    expect(log).toEqual(['a abandoned', 'b abandoned']);
    expect(alongsideOf([])).toBeUndefined();
  });
});
