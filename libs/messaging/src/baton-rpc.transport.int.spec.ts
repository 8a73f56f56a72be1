import { Controller, Injectable, Inject } from '@nestjs/common';
import { Ctx, Payload, type MicroserviceOptions } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { context, trace, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import {
  AgentView,
  BatonError,
  NotFoundError,
  RegisterAgentReply,
  RegisterAgentV1,
  defineCommand,
  defineQuery,
  type CommandEnvelope,
  type DataOf,
  type MessageDefinition,
  type QueryEnvelope,
} from '@baton/contracts';
import { testNatsUrl, uniqueId, waitFor, testNatsAuth } from '@baton/testing';
import { z } from 'zod';
import { BatonClient, BatonRpcContext, BatonRpcTransport, CommandHandler, QueryHandler, traceIdOf, type BatonRpcTransportOptions, type MessagingLogger } from './index';

function definitions() {
  const register = defineCommand({ service: 'agent-registry', name: uniqueId('register'), schema: RegisterAgentV1, reply: RegisterAgentReply });
  const get = defineQuery({ service: 'agent-registry', name: uniqueId('get'), schema: z.strictObject({ agentId: z.string() }), reply: AgentView });
  // Free-form data, as task inputs are: only the depth bound at the edge stops deep nesting.
  const note = defineCommand({
    service: 'agent-registry',
    name: uniqueId('note'),
    schema: z.strictObject({ inputs: z.record(z.string(), z.unknown()) }),
    reply: z.object({ stored: z.boolean() }),
  });
  return { register, get, note };
}

/** `{"a":{"a":…{}…}}`: `levels` objects, one inside the other. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}
type Defs = ReturnType<typeof definitions>;

interface Call {
  readonly instance: string;
  readonly commandId?: string;
  readonly data: unknown;
  readonly traceIdFromCtx?: string;
  readonly activeTraceId?: string;
  readonly subject: string;
}

const CALLS = Symbol('calls');
const entered: string[] = [];
let slowGate: { promise: Promise<void>; release: () => void };
function newGate() {
  let release = () => undefined as void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}
const INSTANCE = Symbol('instance');

function controllerFor(defs: Defs) {
  @Injectable()
  @Controller()
  class AgentsTestController {
    constructor(
      @Inject(CALLS) private readonly calls: Call[],
      @Inject(INSTANCE) private readonly instance: string,
    ) {}

    @CommandHandler(defs.register)
    async register(@Payload() cmd: CommandEnvelope<DataOf<Defs['register']>>, @Ctx() ctx: BatonRpcContext) {
      if (cmd.data.agentId === 'slow') {
        entered.push(cmd.commandId);
        await slowGate.promise;
      }
      this.calls.push({
        instance: this.instance,
        commandId: cmd.commandId,
        data: cmd.data,
        traceIdFromCtx: ctx.getTraceId(),
        activeTraceId: traceIdOf(),
        subject: ctx.getSubject(),
      });
      return { agentId: cmd.data.agentId, revision: 0 };
    }

    @CommandHandler(defs.note)
    async note(@Payload() cmd: CommandEnvelope<DataOf<Defs['note']>>) {
      this.calls.push({ instance: this.instance, commandId: cmd.commandId, data: cmd.data, subject: defs.note.subject });
      return { stored: true };
    }

    @QueryHandler(defs.get)
    async get(@Payload() q: QueryEnvelope<DataOf<Defs['get']>>) {
      this.calls.push({ instance: this.instance, data: q.data, subject: defs.get.subject });
      if (q.data.agentId === 'boom') throw new Error('password=hunter2 leaked from a driver');
      if (q.data.agentId === 'missing') throw new NotFoundError('agent', 'missing');
      if (q.data.agentId === 'bad-reply') return { agentId: 'bad-reply' };
      return {
        agentId: q.data.agentId,
        name: null,
        role: 'coder',
        capabilities: [],
        model: null,
        maxConcurrency: 1,
        peers: [],
        lead: null,
        status: 'available',
        registeredAt: '2026-11-22T00:00:00.000Z',
        revision: 0,
      };
    }
  }
  return AgentsTestController;
}

function recordingLogger(): MessagingLogger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    log: () => undefined,
    warn: (m: unknown) => void warnings.push(String(m)),
    error: (m: unknown) => void errors.push(String(m)),
  };
}

async function startService(
  defs: Defs,
  instance: string,
  calls: Call[],
  logger?: MessagingLogger,
  options: Pick<BatonRpcTransportOptions, 'maxJsonDepth'> = {},
): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({
    controllers: [controllerFor(defs)],
    providers: [
      { provide: CALLS, useValue: calls },
      { provide: INSTANCE, useValue: instance },
    ],
  }).compile();
  const app = moduleRef.createNestMicroservice<MicroserviceOptions>({
    strategy: new BatonRpcTransport({ service: 'agent-registry', url: testNatsUrl(), name: `test-${instance}`, ...(logger ? { logger } : {}), ...options }),
    logger: false,
  });
  await app.listen();
  return app;
}

const agent = (agentId: string) => ({ agentId, role: 'coder', capabilities: ['ts'], maxConcurrency: 1, peers: [] });

async function expectCode(p: Promise<unknown>, code: string): Promise<BatonError> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${code} but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BatonError);
  expect((err as BatonError).code).toBe(code);
  return err as BatonError;
}

jest.setTimeout(60_000);

describe('BatonRpcTransport and BatonClient over real NATS', () => {
  let nc: NatsConnection;
  let client: BatonClient;
  let defs: Defs;
  let calls: Call[];
  let logger: ReturnType<typeof recordingLogger>;
  let app: INestMicroservice;

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth(), name: 'rpc-test-client' });
    client = new BatonClient(nc, { timeoutMs: 5000 });
  });

  afterAll(async () => {
    await nc.drain();
  });

  beforeEach(async () => {
    defs = definitions();
    calls = [];
    logger = recordingLogger();
    app = await startService(defs, 'a', calls, logger);
  });

  afterEach(async () => {
    await app.close();
  });

  it('answers a command with {ok: true, data} after the handler resolves, with defaults applied by the schema', async () => {
    const reply = await client.command(defs.register, agent('a-1'), { commandId: 'c-1', correlationId: 'run-1' });
    expect(reply).toEqual({ agentId: 'a-1', revision: 0 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ commandId: 'c-1', subject: defs.register.subject });

    const raw = await client.requestRaw(defs.register.subject, JSON.stringify({ commandId: 'c-2', data: { agentId: 'a-2', role: 'r' } }));
    expect(raw).toEqual({ ok: true, data: { agentId: 'a-2', revision: 0 } });
    expect(calls[1]?.data).toEqual({ agentId: 'a-2', role: 'r', capabilities: [], maxConcurrency: 1, peers: [] });
  });

  it('answers a query with the typed reply data', async () => {
    const view = await client.query(defs.get, { agentId: 'a-9' });
    expect(view.agentId).toBe('a-9');
    expect(view.status).toBe('available');
  });

  it('rejects missing fields and wrong types with VALIDATION_FAILED and the zod issues, without calling the handler', async () => {
    const missing = await client.requestRaw(defs.register.subject, JSON.stringify({ commandId: 'c-3', data: { agentId: 'a-3' } }));
    expect(missing).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect((missing as { error: { details: { issues: { path: string }[] } } }).error.details.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'role' })]),
    );

    const wrongType = await client.requestRaw(
      defs.register.subject,
      JSON.stringify({ commandId: 'c-4', data: { agentId: 'a-4', role: 'r', maxConcurrency: 'many' } }),
    );
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect((wrongType as { error: { details: { issues: { path: string }[] } } }).error.details.issues).toEqual([
      expect.objectContaining({ path: 'maxConcurrency' }),
    ]);

    const noCommandId = await client.requestRaw(defs.register.subject, JSON.stringify({ data: agent('a-5') }));
    expect(noCommandId).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });

    await expectCode(client.command(defs.register, { ...agent('a-6'), role: '' }, { commandId: 'c-6' }), 'VALIDATION_FAILED');
    expect(calls).toHaveLength(0);
  });

  it('rejects a 2 MB payload with PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ commandId: 'c-big', data: { ...agent('a-7'), name: 'x'.repeat(2 * 1024 * 1024) } });
    const reply = await client.requestRaw(defs.register.subject, big);
    expect(reply).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(calls).toHaveLength(0);
  });

  it('refuses a body nested deeper than 32 levels with VALIDATION_FAILED, without calling the handler', async () => {
    // Body (1) → data (2) → inputs (3) → the caller's objects.
    const body = (levels: number, commandId: string) => JSON.stringify({ commandId, data: { inputs: nested(levels) } });
    const deep = await client.requestRaw(defs.note.subject, body(1000, 'c-deep'));
    expect(deep).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', details: { maxDepth: 32 } } });
    expect((deep as { error: { message: string } }).error.message).toMatch(/nest.*32/);
    const oneTooMany = await client.requestRaw(defs.note.subject, body(31, 'c-33'));
    expect(oneTooMany).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', details: { maxDepth: 32 } } });
    // Brackets inside strings are text, not nesting.
    const inText = await client.requestRaw(defs.note.subject, JSON.stringify({ commandId: 'c-text', data: { inputs: { text: '{['.repeat(500), quote: '\\"{' } } }));
    expect(inText).toEqual({ ok: true, data: { stored: true } });
    expect(calls.map((c) => c.commandId)).toEqual(['c-text']);
    expect(await client.requestRaw(defs.note.subject, body(30, 'c-32'))).toEqual({ ok: true, data: { stored: true } });
    expect(calls.map((c) => c.commandId)).toEqual(['c-text', 'c-32']);
    // Queries too.
    expect(await client.requestRaw(defs.get.subject, JSON.stringify({ data: { agentId: 'x', more: nested(40) } }))).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', details: { maxDepth: 32 } },
    });
  });

  it('takes its nesting bound from maxJsonDepth', async () => {
    const strictCalls: Call[] = [];
    const strict = await startService(defs, 'strict', strictCalls, undefined, { maxJsonDepth: 4 });
    await app.close();
    try {
      const reply = await client.requestRaw(defs.note.subject, JSON.stringify({ commandId: 'c-5', data: { inputs: { a: { b: {} } } } }));
      expect(reply).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', details: { maxDepth: 4 } } });
      expect(await client.requestRaw(defs.note.subject, JSON.stringify({ commandId: 'c-4', data: { inputs: { a: 1 } } }))).toEqual({ ok: true, data: { stored: true } });
      expect(strictCalls.map((c) => c.commandId)).toEqual(['c-4']);
    } finally {
      await strict.close();
      app = await startService(defs, 'a', calls, logger);
    }
  });

  it('rejects invalid JSON and an empty body with INVALID_JSON', async () => {
    expect(await client.requestRaw(defs.register.subject, '{"commandId": "c-8", data: ')).toMatchObject({ ok: false, error: { code: 'INVALID_JSON' } });
    expect(await client.requestRaw(defs.get.subject, new Uint8Array())).toMatchObject({ ok: false, error: { code: 'INVALID_JSON' } });
    expect(calls).toHaveLength(0);
  });

  it('rejects an unknown schema version with UNKNOWN_SCHEMA_VERSION', async () => {
    const reply = await client.requestRaw(defs.register.subject, JSON.stringify({ commandId: 'c-9', schemaVersion: 7, data: agent('a-9') }));
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNKNOWN_SCHEMA_VERSION', details: { schemaVersion: 7, known: [1] } } });
    await expectCode(client.query(defs.get, { agentId: 'x' }, { schemaVersion: 3 }), 'UNKNOWN_SCHEMA_VERSION');
  });

  it('passes domain errors through with their code, and hides unknown errors behind INTERNAL (logging is covered in the unit spec)', async () => {
    const notFound = await expectCode(client.query(defs.get, { agentId: 'missing' }), 'NOT_FOUND');
    expect(notFound.details).toEqual({ what: 'agent', id: 'missing' });

    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
    const internal = await context.with(ctx, () => expectCode(client.query(defs.get, { agentId: 'boom' }), 'INTERNAL'));
    expect(internal.message).toBe('internal error');
    expect(JSON.stringify(internal)).not.toContain('hunter2');
    expect(internal.details).toBeUndefined();

    const badReply = await expectCode(client.query(defs.get, { agentId: 'bad-reply' }), 'INTERNAL');
    expect(badReply.message).toContain('does not match its schema');
  });

  it('runs the handler inside the caller trace context', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
    await context.with(ctx, () => client.command(defs.register, agent('a-t'), { commandId: 'c-t' }));
    expect(calls[0]).toMatchObject({ traceIdFromCtx: traceId, activeTraceId: traceId });

    await client.command(defs.register, agent('a-u'), { commandId: 'c-u' });
    expect(calls[1]).toMatchObject({ traceIdFromCtx: undefined, activeTraceId: undefined });
  });

  it('ignores a request without a reply subject, with a warning', async () => {
    nc.publish(defs.register.subject, JSON.stringify({ commandId: 'c-noreply', data: agent('a-n') }));
    await client.command(defs.register, agent('a-after'), { commandId: 'c-after' });
    expect(calls.map((c) => c.commandId)).toEqual(['c-after']);
    expect(logger.warnings.some((w) => w.includes('without a reply subject'))).toBe(true);
  });

  it('shares work between two instances in the queue group; each request is handled once', async () => {
    const second = await startService(defs, 'b', calls);
    try {
      const ids = Array.from({ length: 40 }, (_, i) => `q-${i}`);
      const replies = await Promise.all(ids.map((id) => client.command(defs.register, agent(id), { commandId: id })));
      expect(replies.map((r) => r.agentId).sort()).toEqual([...ids].sort());
      expect(calls.map((c) => c.commandId).sort()).toEqual([...ids].sort());
      const byInstance = new Set(calls.map((c) => c.instance));
      expect(byInstance).toEqual(new Set(['a', 'b']));
    } finally {
      await second.close();
    }
  });

  it('throws UNAVAILABLE when no service answers, and TIMEOUT when one never replies', async () => {
    const nobody: MessageDefinition = definitions().get;
    const err = await expectCode(client.query(nobody, { agentId: 'x' }), 'UNAVAILABLE');
    expect(err.retryable).toBe(true);

    const silent = definitions().get;
    const sub = nc.subscribe(silent.subject, { callback: () => undefined });
    await nc.flush();
    try {
      await expectCode(client.query(silent, { agentId: 'x' }, { timeoutMs: 300 }), 'TIMEOUT');
    } finally {
      sub.unsubscribe();
    }
  });

  it('answers requests in flight before closing', async () => {
    slowGate = newGate();
    let resolved = false;
    const p = client.command(defs.register, agent('slow'), { commandId: 'c-slow' }).finally(() => (resolved = true));
    await waitFor(() => entered.includes('c-slow'), { what: 'the slow handler to start' });
    const closing = app.close();
    expect(resolved).toBe(false);
    slowGate.release();
    await expect(p).resolves.toEqual({ agentId: 'slow', revision: 0 });
    await closing;
    app = await startService(defs, 'a', calls, logger);
  });
});
