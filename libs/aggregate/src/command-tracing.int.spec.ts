import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { contextOfTraceHeaders, inSpan, traceHeadersOf } from '@baton/telemetry';
import { createTestDatabase, type TestDatabase } from '@baton/testing';
import { manualClock, randomIds } from './clock';
import { commandContextOf, serviceContext } from './command-context';
import { CommandRunner } from './command-runner';
import { counterAggregate, type CounterCommand } from './testing/counter.aggregate';

// The kernel's tracing on a real store: which span a command runs under, what it stores with its
// events, and the append span under it.

const RUN_TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const OTHER_TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('CommandRunner tracing', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const manager = new AsyncLocalStorageContextManager();
  const runner = () => new CommandRunner(store, counterAggregate, { clock: manualClock('2026-01-01T00:00:00.000Z'), ids: randomIds, cacheSize: 0, environment: () => ({ ceiling: 100 }) });
  const inc = (metadata: { commandId: string; now: string }): CounterCommand => ({ type: 'Increment', data: { by: 1 }, metadata });
  const spans = async (): Promise<ReadableSpan[]> => {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  };
  const stored = async (id: string) => (await store.readStream(`counter-${id}`)).map((e) => e.metadata.traceparent);
  let n = 0;
  const id = () => `t${++n}-${Date.now()}`;

  beforeAll(async () => {
    context.setGlobalContextManager(manager.enable());
    trace.setGlobalTracerProvider(provider);
    db = await createTestDatabase('aggregate_tracing');
    store = await createPostgresEventStore({ connectionString: db.url });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it("runs a command in a span under the request's trace and stores that span with its events, the append under it", async () => {
    const k = id();
    await runner().execute(k, inc, { ...serviceContext('test', 'c1'), trace: { traceparent: RUN_TRACE } });
    const all = await spans();
    const command = all.find((s) => s.name === 'counter Increment')!;
    const append = all.find((s) => s.name === 'append')!;
    expect(command.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(command.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(command.attributes).toMatchObject({ 'baton.command.id': 'c1', 'baton.stream.id': `counter-${k}`, 'baton.events.appended': 1 });
    expect(append).toMatchObject({ kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'baton.stream.id': `counter-${k}` } });
    expect(append.parentSpanContext?.spanId).toBe(command.spanContext().spanId);
    expect(await stored(k)).toEqual([traceHeadersOf(command.spanContext())!.traceparent]);
  });

  it("a command with no trace of its own joins the stream's trace, under the span of its first event", async () => {
    const k = id();
    const r = runner();
    await r.execute(k, inc, { ...serviceContext('test', 'c1'), trace: { traceparent: RUN_TRACE } });
    // A timer or a dispatcher, woken inside some unrelated request: that request is not the parent.
    await inSpan('unrelated request', { parent: contextOfTraceHeaders({ traceparent: OTHER_TRACE }) }, () => r.execute(k, inc, serviceContext('test', 'c2')));
    const [first, second] = await stored(k);
    const firstSpanId = first!.slice(36, 52);
    const command = (await spans()).find((s) => s.name === 'counter Increment' && s.attributes['baton.command.id'] === 'c2')!;
    expect(command.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(command.parentSpanContext?.spanId).toBe(firstSpanId);
    expect(second).toBe(traceHeadersOf(command.spanContext())!.traceparent);
  });

  it("a request from another trace (a person's command) stays in the stream's trace, linked to the request", async () => {
    const k = id();
    const r = runner();
    await r.execute(k, inc, { ...serviceContext('test', 'c1'), trace: { traceparent: RUN_TRACE } });
    await r.execute(k, inc, { ...serviceContext('test', 'c2'), trace: { traceparent: OTHER_TRACE } });
    const [first] = await stored(k);
    const command = (await spans()).find((s) => s.attributes['baton.command.id'] === 'c2')!;
    expect(command.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(command.parentSpanContext?.spanId).toBe(first!.slice(36, 52));
    expect(command.links.map((l) => l.context.spanId)).toEqual(['b7ad6b7169203331']);
  });

  it("a request of the stream's trace is the parent (an agent reporting on its task)", async () => {
    const k = id();
    const r = runner();
    await r.execute(k, inc, { ...serviceContext('test', 'c1'), trace: { traceparent: RUN_TRACE } });
    const sameTrace = '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01';
    await r.execute(k, inc, { ...serviceContext('test', 'c2'), trace: { traceparent: sameTrace } });
    const command = (await spans()).find((s) => s.attributes['baton.command.id'] === 'c2')!;
    expect(command.parentSpanContext?.spanId).toBe('1111111111111111');
    expect(command.links).toEqual([]);
  });

  it("links the events a process manager reacts to, without making them the command's parent", async () => {
    const k = id();
    const r = runner();
    await r.execute(k, inc, { ...serviceContext('test', 'c1'), trace: { traceparent: RUN_TRACE } });
    const taskEnded = '00-4bf92f3577b34da6a3ce929d0e0e4736-2222222222222222-01';
    await r.execute(k, inc, { ...serviceContext('test', 'c2'), causes: [{ traceparent: taskEnded }] });
    const [first] = await stored(k);
    const command = (await spans()).find((s) => s.attributes['baton.command.id'] === 'c2')!;
    expect(command.parentSpanContext?.spanId).toBe(first!.slice(36, 52));
    expect(command.links.map((l) => l.context.spanId)).toEqual(['2222222222222222']);
  });

  it("takes the request's trace from the server span active while the handler runs", async () => {
    const k = id();
    let serverSpanId = '';
    await inSpan('process baton.cmd.counter.increment', { kind: SpanKind.SERVER, parent: contextOfTraceHeaders({ traceparent: RUN_TRACE }) }, async (span) => {
      serverSpanId = span.spanContext().spanId;
      const header = { getHeader: (name: string) => (name === 'traceparent' ? RUN_TRACE : undefined) };
      const ctx = commandContextOf({ commandId: 'c1', schemaVersion: 1, data: { by: 1 } }, header, 'baton.cmd.counter.increment');
      expect(ctx.trace?.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${serverSpanId}-01`);
      await runner().execute(k, inc, ctx);
    });
    const command = (await spans()).find((s) => s.name === 'counter Increment')!;
    expect(command.parentSpanContext?.spanId).toBe(serverSpanId);
  });
});
