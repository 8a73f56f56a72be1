import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { EVENTS_STREAM } from '@baton/contracts';
import { contextOfTraceHeaders, inSpan } from '@baton/telemetry';
import { uniqueId, waitFor } from '@baton/testing';
import { BatonClient, consumeDurable, publishEvent, type DurableConsumer } from './index';
import { connectTestJetStream, makeRecordedEvent } from './testing/jetstream-test.helpers';

// Spans of the messaging lib on a real NATS server, exported to memory: the relay's publish
// (PRODUCER) under the trace stored with the event, the delivery (CONSUMER) under the publish,
// and a request (CLIENT) whose context the responder receives.

const STORED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('messaging spans', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const manager = new AsyncLocalStorageContextManager();
  const spans = async (): Promise<ReadableSpan[]> => {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  };

  beforeAll(async () => {
    context.setGlobalContextManager(manager.enable());
    trace.setGlobalTracerProvider(provider);
    ({ nc, js, jsm } = await connectTestJetStream('messaging-tracing-test'));
  });
  afterAll(async () => {
    await nc.drain();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('a published event is a PRODUCER span under its stored trace, and its delivery a CONSUMER span under the publish', async () => {
    const cat = uniqueId('tr').replace(/[^a-z0-9]/gi, '');
    const durable = uniqueId('trace-consumer');
    const seen: string[] = [];
    const consumer: DurableConsumer = await consumeDurable({
      js,
      jsm,
      stream: EVENTS_STREAM,
      durable,
      filterSubject: `baton.evt.${cat}.>`,
      logger: quietLogger,
      handler: () => {
        seen.push(trace.getActiveSpan()?.spanContext().spanId ?? 'none');
      },
    });
    try {
      const event = makeRecordedEvent(`${cat}-1`, 0, { type: 'ThingHappened', metadata: { occurredAt: 'now', traceparent: STORED } });
      await publishEvent(js, event);
      await waitFor(() => seen.length === 1, { what: 'the delivery', timeoutMs: 10_000 });
      const all = await waitFor(async () => {
        const s = await spans();
        return s.some((x) => x.kind === SpanKind.CONSUMER) ? s : undefined;
      });
      const producer = all.find((s) => s.kind === SpanKind.PRODUCER)!;
      const delivery = all.find((s) => s.kind === SpanKind.CONSUMER)!;
      expect(producer.name).toBe(`send baton.evt.${cat}.thing-happened`);
      expect(producer.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(producer.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
      expect(producer.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.message.id': event.eventId });
      expect(delivery.name).toBe(`process baton.evt.${cat}.thing-happened`);
      expect(delivery.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
      expect(delivery.attributes).toMatchObject({ 'messaging.consumer.group.name': durable, 'baton.event.type': 'ThingHappened' });
      expect(seen).toEqual([delivery.spanContext().spanId]);
    } finally {
      await consumer.stop();
      await jsm.consumers.delete(EVENTS_STREAM, durable);
    }
  });

  it("a request is a CLIENT span whose context the responder receives; an error reply fails it with the error's code", async () => {
    const subject = `baton.cmd.${uniqueId('trace-svc')}.do`;
    const received: (string | undefined)[] = [];
    const sub = nc.subscribe(subject, {
      callback: (_err, msg) => {
        received.push(msg.headers?.get('traceparent'));
        msg.respond(JSON.stringify({ ok: false, error: { code: 'NOT_FOUND', message: 'no such thing', details: {} } }));
      },
    });
    try {
      const client = new BatonClient(nc);
      await inSpan('caller', { parent: contextOfTraceHeaders({ traceparent: STORED }) }, () => client.requestRaw(subject, '{}'));
      const request = (await spans()).find((s) => s.kind === SpanKind.CLIENT)!;
      expect(request.name).toBe(`send ${subject}`);
      expect(received).toEqual([`00-4bf92f3577b34da6a3ce929d0e0e4736-${request.spanContext().spanId}-01`]);
      expect(request.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such thing' });
      expect(request.attributes['baton.error.code']).toBe('NOT_FOUND');
    } finally {
      sub.unsubscribe();
    }
  });
});
