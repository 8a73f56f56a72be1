import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  GetArtifact,
  GetHandoff,
  handoffStreamId,
  ListHandoffs,
  ListHandoffSpecs,
  PutArtifact,
  Subjects,
  ValidateHandoff,
  type DataOf,
  type HandoffVerdict,
} from '@baton/contracts';
import { sampleArtifacts, sampleContext, sampleOutputs } from '@baton/handoff-rules';
import { BatonClient, EventHeaders } from '@baton/messaging';
import { createTestDatabase, relayedEvent, serviceTestOptions, type TestDatabase, testNatsUrl, uniqueId, waitFor, testNatsAuth } from '@baton/testing';
import { sql, type Kysely } from 'kysely';
import { CommandRunner, randomIds } from '@baton/aggregate';
import { startHandoffValidator, type HandoffValidatorApp } from './adapters/handoff-validator.app';
import { PostgresArtifactStore } from './adapters/postgres-artifact.store';
import { HandoffCommandHandler } from './app/handoff-command.handler';
import { HandoffMetrics } from './app/handoff.metrics';
import type { ArtifactStore } from './app/ports';
import { handoffAggregate } from './domain';
import { DEFAULT_ARTIFACT_MAX_BYTES } from './config';
import { applyHandoffEvents } from './read-model/handoffs.projection';
import type { HandoffDatabase } from './read-model/handoffs.table';

const NOW = new Date('2026-11-22T08:30:00.000Z');

type ValidateData = DataOf<typeof ValidateHandoff>;
/** What a caller sends: defaults may be left out, as on the wire. */
type ValidateInput = Partial<Omit<ValidateData, 'checks'>> & { checks?: Partial<ValidateData['checks']> };

const sha256 = (text: string | Buffer): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** The sample PRD with its "User Stories" section (and so its acceptance criteria) cut out. */
const PRD_WITHOUT_STORIES = sampleArtifacts['prd.md'].replace(/## User Stories[\s\S]*?(?=## Out of Scope)/, '');

describe('handoff-validator (real NATS + Postgres, in-process Nest app)', () => {
  let tdb: TestDatabase;
  let validator: HandoffValidatorApp;
  let nc: NatsConnection;
  let client: BatonClient;
  // Wall-clock start of this file, only to start reading JetStream from here.
  const startedAt = new Date(Date.now() - 1000);

  beforeAll(async () => {
    tdb = await createTestDatabase('handoff_validator');
    validator = await startHandoffValidator({
      ...serviceTestOptions(tdb.url),
      clock: { now: () => NOW },
    });
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await validator?.close();
    await nc?.close();
    await tdb?.drop();
  });

  /** A handoff from the PM to the architect (HO-PM-ARCH matches by from/to), with the sample context. */
  function handoff(overrides: ValidateInput = {}): ValidateData {
    const { checks, ...rest } = overrides;
    return {
      handoffId: uniqueId('ho'),
      taskId: uniqueId('task'),
      runId: uniqueId('run'),
      stageId: 'requirements',
      iteration: 1,
      fromAgentId: 'MCT-PM-001',
      artifacts: [],
      artifactRefs: [],
      context: { ...sampleContext },
      outputs: {},
      ...rest,
      checks: { mode: 'handoff', specIds: [], toAgentIds: ['MCT-ARCH-001'], declaredOutputs: null, qualityGate: [], criteria: [], ...checks },
    };
  }

  const validate = (data: ValidateData, commandId: string = randomUUID()): Promise<HandoffVerdict> => client.command(ValidateHandoff, data, { commandId });

  async function count(table: 'baton_es.events' | 'baton_handoff.artifacts'): Promise<number> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(validator.db);
    return rows[0]!.n;
  }

  /** Sends a raw validate-handoff and checks it fails with `code`, appending and storing nothing. */
  async function expectRefused(data: unknown, code: string): Promise<{ code: string; message: string; details?: unknown }> {
    const [events, artifacts] = [await count('baton_es.events'), await count('baton_handoff.artifacts')];
    const reply = (await client.requestRaw(ValidateHandoff.subject, JSON.stringify({ commandId: randomUUID(), schemaVersion: 1, data }))) as {
      ok: boolean;
      error: { code: string; message: string; details?: unknown };
    };
    expect(reply).toMatchObject({ ok: false, error: { code, message: expect.any(String) } });
    expect(await count('baton_es.events')).toBe(events);
    expect(await count('baton_handoff.artifacts')).toBe(artifacts);
    const handoffId = (data as { handoffId?: unknown }).handoffId;
    if (typeof handoffId === 'string') expect(await validator.store.readStream(handoffStreamId(handoffId))).toEqual([]);
    return reply.error;
  }

  /** Reads `baton.evt.handoff.<event>` from this file's start until the event of `streamId` shows up. */
  function relayed(event: 'submitted' | 'accepted' | 'rejected', streamId: string): Promise<JsMsg> {
    const subject = Subjects.event('handoff', event);
    return relayedEvent(nc, { subject, since: startedAt, match: (m) => m.headers?.get(EventHeaders.streamId) === streamId, what: `${streamId} on ${subject}` });
  }

  it('accepts a good PRD handoff from MCT-PM-001 and records it', async () => {
    const data = handoff({
      artifacts: [
        { name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' },
        { name: 'designs/', content: sampleArtifacts['designs/'], encoding: 'utf8' },
      ],
      outputs: { ...sampleOutputs },
    });
    const commandId = randomUUID();
    const verdict = await validate(data, commandId);

    expect(verdict).toEqual({
      handoffId: data.handoffId,
      status: 'accepted',
      failures: [],
      specIds: ['HO-PM-ARCH'],
      artifacts: [
        { name: 'prd.md', hash: sha256(sampleArtifacts['prd.md']), size: Buffer.byteLength(sampleArtifacts['prd.md']), mediaType: 'text/markdown' },
        { name: 'designs/', hash: sha256(sampleArtifacts['designs/']), size: Buffer.byteLength(sampleArtifacts['designs/']), mediaType: 'application/json' },
      ],
      rulesChecked: expect.any(Number),
    });
    // Each artifact's presence, its rules and the context keys of HO-PM-ARCH: at least the 7 rules and 3 keys.
    expect(verdict.rulesChecked).toBeGreaterThanOrEqual(10);

    const stream = await validator.store.readStream(handoffStreamId(data.handoffId));
    expect(stream.map((e) => e.type)).toEqual(['HandoffSubmitted', 'HandoffAccepted']);
    for (const e of stream) {
      expect(e.metadata).toMatchObject({
        commandId,
        correlationId: data.runId,
        causationId: commandId,
        actor: { kind: 'agent', id: 'MCT-PM-001' },
        occurredAt: NOW.toISOString(),
      });
    }
    expect(stream[0]!.data).toMatchObject({ handoffId: data.handoffId, toAgentIds: ['MCT-ARCH-001'], context: sampleContext, submittedAt: NOW.toISOString() });

    expect(await client.query(GetHandoff, { handoffId: data.handoffId })).toEqual({
      handoffId: data.handoffId,
      taskId: data.taskId,
      runId: data.runId,
      stageId: 'requirements',
      iteration: 1,
      fromAgentId: 'MCT-PM-001',
      status: 'accepted',
      specIds: ['HO-PM-ARCH'],
      artifacts: verdict.artifacts,
      context: sampleContext,
      failures: [],
      submittedAt: NOW.toISOString(),
    });
    expect(validator.metrics.handoffsTotal('accepted', 'HO-PM-ARCH')).toBeGreaterThanOrEqual(1);
  });

  it('rejects a PRD without user stories, naming them, and keeps its artifacts', async () => {
    const data = handoff({ artifacts: [{ name: 'prd.md', content: PRD_WITHOUT_STORIES, encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    const verdict = await validate(data);

    expect(verdict.status).toBe('rejected');
    expect(verdict.specIds).toEqual(['HO-PM-ARCH']);
    const stories = verdict.failures.find((f) => f.rule === 'user_stories: min 3');
    expect(stories).toMatchObject({ source: 'handoff', specId: 'HO-PM-ARCH', artifact: 'prd.md', message: expect.stringMatching(/user.?stories/i) });
    expect(verdict.failures.every((f) => f.artifact === 'prd.md' || f.source === 'context')).toBe(true);
    // designs/ is not declared by this stage, so its absence is not a failure.
    expect(verdict.failures.map((f) => f.artifact)).not.toContain('designs/');

    const stream = await validator.store.readStream(handoffStreamId(data.handoffId));
    expect(stream.map((e) => e.type)).toEqual(['HandoffSubmitted', 'HandoffRejected']);
    expect((stream[1]!.data as { failures: unknown[] }).failures).toEqual(verdict.failures);

    // The rejected handoff's artifact is stored: same bytes, addressed by their SHA-256.
    const [ref] = verdict.artifacts;
    expect(ref!.hash).toBe(sha256(PRD_WITHOUT_STORIES));
    const stored = await client.query(GetArtifact, { hash: ref!.hash });
    expect(stored).toEqual({ hash: ref!.hash, size: Buffer.byteLength(PRD_WITHOUT_STORIES), mediaType: 'text/markdown', encoding: 'utf8', content: PRD_WITHOUT_STORIES });
    expect(sha256(Buffer.from(stored.content, 'utf8'))).toBe(ref!.hash);
    expect(validator.metrics.ruleFailuresTotal('user_stories: min 3')).toBeGreaterThanOrEqual(1);
  });

  it('the same handoff id again replies with the recorded verdict and appends nothing', async () => {
    const data = handoff({ artifacts: [{ name: 'prd.md', content: PRD_WITHOUT_STORIES, encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    const first = await validate(data);
    const rejectedBefore = validator.metrics.handoffsTotal('rejected', 'HO-PM-ARCH');
    // Another command id, even with now-compliant content: the recorded verdict stands.
    const again = await validate({ ...data, artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }] });
    const sameCommand = await validate(data);
    // Its bytes are stored now (so it takes the path that reads nothing first): a repeat naming an
    // unknown spec still gets the recorded verdict, as it would after a read.
    const unknownSpec = await validate({ ...data, checks: { ...data.checks, specIds: ['NO-SUCH-SPEC'] } });
    expect(again).toEqual(first);
    expect(sameCommand).toEqual(first);
    expect(unknownSpec).toEqual(first);
    expect(await validator.store.readStream(handoffStreamId(data.handoffId))).toHaveLength(2);
    expect(validator.metrics.handoffsTotal('rejected', 'HO-PM-ARCH')).toBe(rejectedBefore);
  });

  it('the same handoff sent concurrently is recorded once and every caller gets its verdict', async () => {
    const data = handoff({ artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    const replies = await Promise.all([validate(data), validate(data), validate(data), validate(data, 'same'), validate(data, 'same')]);
    for (const r of replies) expect(r).toEqual(replies[0]);
    expect(replies[0]!.status).toBe('accepted');
    expect(await validator.store.readStream(handoffStreamId(data.handoffId))).toHaveLength(2);
  });

  it.each([
    ['after reading the handoff stream (its artifacts not known to be stored)', false],
    ['recording it as new without a read (its artifacts known to be stored)', true],
  ])('a replica that loses the race to record a handoff id replies with the winner\'s verdict and appends nothing: %s', async (_, known) => {
    // A second replica on the same store, whose artifact store holds its request at the last
    // step before the append until the first replica (over NATS) has recorded the handoff. Its
    // runner keeps the state it loaded (as the service's does), or decides on a new stream when
    // the artifacts are known to be stored; either way its append at `no_stream` is the one
    // refused.
    let reached!: () => void;
    const atAppend = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: ArtifactStore = {
      put: async (artifacts) => {
        reached();
        await gate;
        return validator.artifacts.put(artifacts);
      },
      get: (hash) => validator.artifacts.get(hash),
      has: (hashes) => validator.artifacts.has(hashes),
      knownStored: () => known,
    };
    const replica = new HandoffCommandHandler({
      handoffs: new CommandRunner(validator.store, handoffAggregate, { clock: { now: () => NOW }, ids: randomIds, cacheSize: 10 }),
      artifacts: held,
      rules: validator.rules,
      metrics: new HandoffMetrics(),
      maxArtifactBytes: DEFAULT_ARTIFACT_MAX_BYTES,
    });
    const good = handoff({ artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    const bad = { ...good, artifacts: [{ name: 'prd.md', content: PRD_WITHOUT_STORIES, encoding: 'utf8' as const }] };

    const loser = replica.validate(bad, { commandId: randomUUID() });
    await atAppend;
    const winner = await validate(good);
    release();

    expect(winner.status).toBe('accepted');
    expect(await loser).toEqual(winner);
    expect((await validator.store.readStream(handoffStreamId(good.handoffId))).map((e) => e.type)).toEqual(['HandoffSubmitted', 'HandoffAccepted']);
  });

  it('a handoff whose artifacts are known to be stored is recorded without reading its stream first; a repeat still gets the first verdict', async () => {
    // A replica whose runner counts the store's stream reads.
    let reads = 0;
    const counted = new Proxy(validator.store, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'readStream' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const replica = new HandoffCommandHandler({
      handoffs: new CommandRunner(counted, handoffAggregate, { clock: { now: () => NOW }, ids: randomIds, cacheSize: 10 }),
      artifacts: validator.artifacts,
      rules: validator.rules,
      metrics: new HandoffMetrics(),
      maxArtifactBytes: DEFAULT_ARTIFACT_MAX_BYTES,
    });
    const prd = [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' as const }];
    // New bytes: the stream is read before anything is stored.
    const fresh = handoff({ artifacts: [{ name: 'prd.md', content: `${sampleArtifacts['prd.md']}\n<!-- ${randomUUID()} -->\n`, encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    expect((await replica.validate(fresh, { commandId: randomUUID() })).status).toBe('accepted');
    expect(reads).toBe(1);
    // Bytes this process stored before: no read, and the handoff is recorded.
    const data = handoff({ artifacts: prd, checks: { declaredOutputs: ['prd.md'] } });
    await validator.artifacts.put([{ bytes: Buffer.from(sampleArtifacts['prd.md']), mediaType: 'text/markdown' }]);
    reads = 0;
    const first = await replica.validate(data, { commandId: randomUUID() });
    expect(first.status).toBe('accepted');
    expect(reads).toBe(0);
    expect((await validator.store.readStream(handoffStreamId(data.handoffId))).map((e) => e.type)).toEqual(['HandoffSubmitted', 'HandoffAccepted']);
    // Recorded by another replica (over NATS), then sent here with content that would fail: the
    // append at no_stream is refused, the stream read, and the first verdict stands.
    const other = handoff({ artifacts: prd, checks: { declaredOutputs: ['prd.md'] } });
    const recorded = await validate(other);
    const worse = { ...other, outputs: { note: 'another body' }, artifacts: prd };
    reads = 0;
    expect(await replica.validate(worse, { commandId: randomUUID() })).toEqual(recorded);
    expect(reads).toBe(1);
    expect(await validator.store.readStream(handoffStreamId(other.handoffId))).toHaveLength(2);
  });

  it('the same commandId on the same handoff id with a different body (another PRD) is IDEMPOTENCY_CONFLICT over NATS and appends nothing', async () => {
    const data = handoff({ artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    const commandId = randomUUID();
    const first = await validate(data, commandId);
    const [events, artifacts] = [await count('baton_es.events'), await count('baton_handoff.artifacts')];

    const changed = { ...data, artifacts: [{ name: 'prd.md', content: PRD_WITHOUT_STORIES, encoding: 'utf8' }] };
    const reply = (await client.requestRaw(ValidateHandoff.subject, JSON.stringify({ commandId, schemaVersion: 1, data: changed }))) as {
      ok: boolean;
      error: { code: string; message: string; details?: unknown };
    };
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'IDEMPOTENCY_CONFLICT', message: expect.stringContaining(commandId), details: { streamId: handoffStreamId(data.handoffId), commandId } },
    });
    expect(await count('baton_es.events')).toBe(events);
    expect(await count('baton_handoff.artifacts')).toBe(artifacts);
    expect(await validator.store.readStream(handoffStreamId(data.handoffId))).toHaveLength(2);

    // The same commandId with the same body is a retry: the recorded verdict again.
    expect(await validate(data, commandId)).toEqual(first);
  });

  it('a command id is an idempotency key within one handoff id: reused for another handoff id, it records that handoff', async () => {
    const commandId = randomUUID();
    const a = handoff({ artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    const b = { ...a, handoffId: uniqueId('ho') };
    await validate(a, commandId);
    expect(await validate(b, commandId)).toMatchObject({ handoffId: b.handoffId, status: 'accepted' });
    expect(await validator.store.readStream(handoffStreamId(b.handoffId))).toHaveLength(2);
  });

  describe('quality gates', () => {
    const gated = (coverage: number) =>
      handoff({ fromAgentId: 'MCT-QA-001', checks: { toAgentIds: [], qualityGate: ['coverage >= 80%'] }, outputs: { coverage } });

    it('rejects coverage 72 against coverage >= 80%', async () => {
      const verdict = await validate(gated(72));
      expect(verdict).toMatchObject({ status: 'rejected', specIds: [], rulesChecked: 1 });
      expect(verdict.failures).toEqual([
        { source: 'quality_gate', specId: null, artifact: null, rule: 'coverage >= 80%', message: expect.stringContaining('72'), missing: expect.any(Array) },
      ]);
    });

    it('accepts coverage 85 against coverage >= 80%', async () => {
      expect(await validate(gated(85))).toMatchObject({ status: 'accepted', failures: [], specIds: [], rulesChecked: 1 });
      expect(validator.metrics.handoffsTotal('accepted', 'none')).toBeGreaterThanOrEqual(1);
    });

    it('checks criteria too, with their own source', async () => {
      const verdict = await validate(handoff({ fromAgentId: 'MCT-QA-001', checks: { toAgentIds: [], criteria: ['all_p0_tests_pass'] }, outputs: { all_p0_tests_pass: false } }));
      expect(verdict).toMatchObject({ status: 'rejected', failures: [{ source: 'criteria', rule: 'all_p0_tests_pass' }] });
    });
  });

  describe('bad requests get an error with a code and leave nothing behind', () => {
    it('an artifact over ARTIFACT_MAX_BYTES: PAYLOAD_TOO_LARGE naming it and the limit', async () => {
      const small = `small ${uniqueId('x')}`;
      const data = handoff({
        artifacts: [
          { name: 'notes.md', content: small, encoding: 'utf8' },
          { name: 'huge.md', content: 'x'.repeat(DEFAULT_ARTIFACT_MAX_BYTES + 1), encoding: 'utf8' },
        ],
      });
      const error = await expectRefused(data, 'PAYLOAD_TOO_LARGE');
      expect(error.message).toBe(`artifact "huge.md" is ${DEFAULT_ARTIFACT_MAX_BYTES + 1} bytes; the limit is ${DEFAULT_ARTIFACT_MAX_BYTES} bytes (ARTIFACT_MAX_BYTES)`);
      expect(error.details).toEqual({ artifact: 'huge.md', size: DEFAULT_ARTIFACT_MAX_BYTES + 1, limit: DEFAULT_ARTIFACT_MAX_BYTES });
      await expect(client.query(GetArtifact, { hash: sha256(small) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('base64 that does not decode: VALIDATION_FAILED naming the artifact', async () => {
      const data = handoff({
        artifacts: [
          { name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' },
          { name: 'designs/', content: 'this is not base64!', encoding: 'base64' },
        ],
      });
      const error = await expectRefused(data, 'VALIDATION_FAILED');
      expect(error.message).toMatch(/^artifact "designs\/": content is not valid base64/);
      expect(error.details).toMatchObject({ artifact: 'designs/' });
    });

    it('an unknown spec id: VALIDATION_FAILED listing the known ids', async () => {
      const data = handoff({ artifacts: [{ name: 'prd.md', content: `${sampleArtifacts['prd.md']}\n${uniqueId('v')}`, encoding: 'utf8' }], checks: { specIds: ['HO-PM-ARCH', 'HO-NOPE'] } });
      const error = await expectRefused(data, 'VALIDATION_FAILED');
      expect(error.message).toBe('unknown handoff spec HO-NOPE; known: HO-ARCH-DEV, HO-DEV-SEC, HO-PM-ARCH');
      expect(error.details).toEqual({ unknown: ['HO-NOPE'], known: ['HO-ARCH-DEV', 'HO-DEV-SEC', 'HO-PM-ARCH'] });
    });

    it('an unknown artifactRefs hash: NOT_FOUND naming it', async () => {
      const hash = sha256(uniqueId('never-stored'));
      const data = handoff({
        artifacts: [{ name: 'prd.md', content: `${sampleArtifacts['prd.md']}\n${uniqueId('v')}`, encoding: 'utf8' }],
        artifactRefs: [{ name: 'designs/', hash }],
      });
      const error = await expectRefused(data, 'NOT_FOUND');
      expect(error.message).toContain(`"designs/" (${hash})`);
      expect(error.details).toMatchObject({ what: 'artifact', id: hash, missing: [{ name: 'designs/', hash }] });
    });

    it('two artifacts with one name: VALIDATION_FAILED', async () => {
      const data = handoff({
        artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }],
        artifactRefs: [{ name: 'prd.md', hash: sha256(sampleArtifacts['prd.md']) }],
      });
      const error = await expectRefused(data, 'VALIDATION_FAILED');
      expect(error.details).toEqual({ duplicates: ['prd.md'] });
    });

    it('context that no event store can hold (a NUL character): VALIDATION_FAILED naming where', async () => {
      const data = handoff({ artifacts: [{ name: 'prd.md', content: `${sampleArtifacts['prd.md']}\n${uniqueId('v')}`, encoding: 'utf8' }], context: { ...sampleContext, note: 'a\u0000b' } });
      const error = await expectRefused(data, 'VALIDATION_FAILED');
      expect(error.message).toBe('handoff cannot be recorded: data.context.note (NUL character) is not storable JSON; remove it');
    });

    it.each([
      ['a malformed hash', { artifactRefs: [{ name: 'prd.md', hash: 'md5:abc' }] }],
      ['an unknown encoding', { artifacts: [{ name: 'prd.md', content: 'x', encoding: 'utf16' }] }],
      ['an unknown field', { admin: true }],
      ['a handoff id with a space', { handoffId: 'ho 1' }],
    ])('%s: VALIDATION_FAILED from the schema', async (_label, patch) => {
      await expectRefused({ ...handoff(), ...patch }, 'VALIDATION_FAILED');
    });
  });

  it('publishes the events to JetStream: baton.evt.handoff.submitted, .accepted and .rejected', async () => {
    const good = handoff({ artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    const bad = handoff({ artifacts: [{ name: 'prd.md', content: PRD_WITHOUT_STORIES, encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } });
    expect((await validate(good)).status).toBe('accepted');
    expect((await validate(bad)).status).toBe('rejected');
    const goodStream = await validator.store.readStream(handoffStreamId(good.handoffId));

    const accepted = await relayed('accepted', handoffStreamId(good.handoffId));
    expect(accepted.subject).toBe('baton.evt.handoff.accepted');
    expect(accepted.headers?.get('Nats-Msg-Id')).toBe(goodStream[1]!.eventId);
    expect(accepted.json<{ type: string; data: { handoffId: string; specIds: string[] } }>()).toMatchObject({
      type: 'HandoffAccepted',
      data: { handoffId: good.handoffId, specIds: ['HO-PM-ARCH'] },
    });
    const submitted = await relayed('submitted', handoffStreamId(good.handoffId));
    expect(submitted.json<{ data: { artifacts: unknown[] } }>().data.artifacts).toHaveLength(1);
    const rejected = await relayed('rejected', handoffStreamId(bad.handoffId));
    expect(rejected.json<{ type: string; data: { failures: { rule: string }[] } }>()).toMatchObject({
      type: 'HandoffRejected',
      data: { failures: expect.arrayContaining([expect.objectContaining({ rule: 'user_stories: min 3' })]) },
    });
  });

  it('lists the handoffs of a run from the read model, oldest first, filtered by status', async () => {
    const runId = uniqueId('run');
    const prd = (content: string) => ({ artifacts: [{ name: 'prd.md', content, encoding: 'utf8' as const }], checks: { declaredOutputs: ['prd.md'] }, runId });
    const first = await validate(handoff({ ...prd(PRD_WITHOUT_STORIES), iteration: 1 }));
    const second = await validate(handoff({ ...prd(sampleArtifacts['prd.md']), iteration: 2 }));
    const elsewhere = await validate(handoff({ artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } }));

    const listed = await waitFor(
      async () => {
        const { handoffs } = await client.query(ListHandoffs, { runId, limit: 100 });
        return handoffs.length === 2 ? handoffs : undefined;
      },
      { what: `both handoffs of ${runId} projected` },
    );
    expect(listed.map((h) => [h.handoffId, h.status, h.iteration])).toEqual([
      [first.handoffId, 'rejected', 1],
      [second.handoffId, 'accepted', 2],
    ]);
    expect(listed.map((h) => h.handoffId)).not.toContain(elsewhere.handoffId);
    // The read model's view is the one get-handoff folds from the stream.
    for (const h of listed) expect(h).toEqual(await client.query(GetHandoff, { handoffId: h.handoffId }));

    expect((await client.query(ListHandoffs, { runId, status: 'rejected', limit: 100 })).handoffs.map((h) => h.handoffId)).toEqual([first.handoffId]);
    expect((await client.query(ListHandoffs, { runId, limit: 1 })).handoffs.map((h) => h.handoffId)).toEqual([first.handoffId]);
    const task = listed[1]!.taskId;
    expect((await client.query(ListHandoffs, { taskId: task, limit: 100 })).handoffs.map((h) => h.handoffId)).toEqual([second.handoffId]);
  });

  it('answers NOT_FOUND for an unknown handoff or artifact', async () => {
    await expect(client.query(GetHandoff, { handoffId: uniqueId('nobody') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.query(GetArtifact, { hash: sha256(uniqueId('nothing')) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('put-artifact', () => {
    it('stores the same bytes once, and handoffs can refer to them by hash', async () => {
      const before = await count('baton_handoff.artifacts');
      const put = { name: 'designs/', content: sampleArtifacts['designs/'], encoding: 'utf8' as const };
      const ref = await client.command(PutArtifact, put, { commandId: randomUUID() });
      expect(ref).toEqual({ name: 'designs/', hash: sha256(sampleArtifacts['designs/']), size: Buffer.byteLength(sampleArtifacts['designs/']), mediaType: 'application/json' });
      expect(await client.command(PutArtifact, put, { commandId: randomUUID() })).toEqual(ref);
      // Stored by the first test already, or now: once either way.
      expect(await count('baton_handoff.artifacts')).toBeLessThanOrEqual(before + 1);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM baton_handoff.artifacts WHERE hash = ${ref.hash}`.execute(validator.db);
      expect(rows[0]!.n).toBe(1);

      const data = handoff({
        artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }],
        artifactRefs: [{ name: 'designs/', hash: ref.hash }],
        outputs: { ...sampleOutputs },
      });
      const verdict = await validate(data);
      expect(verdict).toMatchObject({ status: 'accepted', specIds: ['HO-PM-ARCH'] });
      expect(verdict.artifacts).toEqual([expect.objectContaining({ name: 'prd.md' }), ref]);
    });

    it('stores a handoff\'s artifacts in one go: new bytes, the same bytes twice, and bytes another process stored first (with its media type)', async () => {
      // Another replica on the same database, which this one has never heard of.
      const replica = new PostgresArtifactStore(validator.db, { now: () => NOW });
      const bytes = (text: string) => new TextEncoder().encode(text);
      const theirs = bytes(`${uniqueId('stored elsewhere')}\n`);
      const mine = bytes(`${uniqueId('new here')}\n`);
      const [first] = await replica.put([{ bytes: theirs, mediaType: 'text/markdown' }]);
      expect(first).toEqual({ hash: sha256(Buffer.from(theirs)), size: theirs.byteLength, mediaType: 'text/markdown', created: true });

      const before = await count('baton_handoff.artifacts');
      const puts = await validator.artifacts.put([
        { bytes: mine, mediaType: 'text/plain' },
        { bytes: theirs, mediaType: 'text/plain' },
        { bytes: mine, mediaType: 'text/plain' },
      ]);
      expect(puts).toEqual([
        { hash: sha256(Buffer.from(mine)), size: mine.byteLength, mediaType: 'text/plain', created: true },
        { hash: first!.hash, size: theirs.byteLength, mediaType: 'text/markdown', created: false },
        { hash: sha256(Buffer.from(mine)), size: mine.byteLength, mediaType: 'text/plain', created: true },
      ]);
      expect(await count('baton_handoff.artifacts')).toBe(before + 1);
      // Known now: put again, nothing is new, and every address reads back the bytes first stored.
      expect((await validator.artifacts.put([{ bytes: theirs, mediaType: 'text/x-other' }, { bytes: mine, mediaType: 'text/x-other' }])).map((p) => [p.mediaType, p.created])).toEqual([
        ['text/markdown', false],
        ['text/plain', false],
      ]);
      expect(await validator.artifacts.get(first!.hash)).toEqual({ bytes: Buffer.from(theirs), mediaType: 'text/markdown' });
      expect(await count('baton_handoff.artifacts')).toBe(before + 1);
    });

    it('keeps binary bytes exact and returns them as base64', async () => {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, ...Buffer.from(uniqueId('png'))]);
      const ref = await client.command(PutArtifact, { name: 'designs/home.png', content: bytes.toString('base64'), encoding: 'base64', mediaType: 'image/png' }, { commandId: randomUUID() });
      expect(ref.hash).toBe(sha256(bytes));
      expect(await client.query(GetArtifact, { hash: ref.hash })).toEqual({ hash: ref.hash, size: bytes.length, mediaType: 'image/png', encoding: 'base64', content: bytes.toString('base64') });
    });

    it('refuses an oversize or undecodable artifact and stores nothing', async () => {
      const before = await count('baton_handoff.artifacts');
      await expect(
        client.command(PutArtifact, { name: 'huge.md', content: 'y'.repeat(DEFAULT_ARTIFACT_MAX_BYTES + 10), encoding: 'utf8' }, { commandId: randomUUID() }),
      ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { artifact: 'huge.md', limit: DEFAULT_ARTIFACT_MAX_BYTES } });
      await expect(client.command(PutArtifact, { name: 'a.bin', content: '@@@@', encoding: 'base64' }, { commandId: randomUUID() })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect(await count('baton_handoff.artifacts')).toBe(before);
    });
  });

  it('lists the loaded handoff specs', async () => {
    const { specs } = await client.query(ListHandoffSpecs, {});
    expect(specs.map((s) => s.id)).toEqual(['HO-ARCH-DEV', 'HO-DEV-SEC', 'HO-PM-ARCH']);
    expect(specs.find((s) => s.id === 'HO-PM-ARCH')).toEqual({
      id: 'HO-PM-ARCH',
      from: ['MCT-PM-001'],
      to: ['MCT-ARCH-001'],
      artifacts: ['prd.md', 'designs/'],
      context: ['priority_level', 'deadline', 'dependencies'],
      source: path.join('examples', 'handoffs', 'ho-pm-arch.yaml'),
    });
  });

  it('serves the handoff counters on /metrics', async () => {
    const text = await (await fetch(`${validator.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^baton_handoffs_total\{status="accepted",spec="HO-PM-ARCH"\} \d+$/m);
    expect(text).toMatch(/^baton_handoffs_total\{status="rejected",spec="none"\} \d+$/m);
    expect(text).toMatch(/^baton_handoff_rule_failures_total\{rule="coverage >= 80%"\} 1$/m);
  });

  it('is ready once NATS, Postgres, the projection and the relay are', async () => {
    await validator.projection.waitUntilCaughtUp();
    const ready = await fetch(`${validator.httpUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { nats: 'up', postgres: 'up', 'projection:handoffs': 'up', relay: 'up' }, failing: [] });
  });

  it('a verdict projected in a later transaction than its submission gives the same row as both together', async () => {
    const verdict = await validate(handoff({ artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'], encoding: 'utf8' }], checks: { declaredOutputs: ['prd.md'] } }));
    await validator.projection.waitUntilCaughtUp();
    const rowOf = (db: Kysely<HandoffDatabase>) => db.selectFrom('baton_handoff.handoffs').selectAll().where('handoff_id', '=', verdict.handoffId).executeTakeFirst();
    // Caught up is judged on the events readable yet: another database's open transaction on the same server can hold them back a moment.
    const projected = await waitFor(async () => (await rowOf(validator.db))?.revision === 1 ? rowOf(validator.db) : undefined, { what: `the projected row of ${verdict.handoffId}` });
    expect(projected).toMatchObject({ status: 'accepted', revision: 1 });
    const [submitted, accepted] = await validator.store.readStream(handoffStreamId(verdict.handoffId));
    const ROLLBACK = new Error('rolled back: the row stays as projected');
    await expect(
      validator.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('baton_handoff.handoffs').where('handoff_id', '=', verdict.handoffId).execute();
        await applyHandoffEvents(trx, [submitted!]);
        expect(await rowOf(trx)).toMatchObject({ status: 'pending', decided_at: null, revision: 0 });
        await applyHandoffEvents(trx, [accepted!]);
        expect(await rowOf(trx)).toEqual(projected);
        throw ROLLBACK;
      }),
    ).rejects.toBe(ROLLBACK);
    expect(await rowOf(validator.db)).toEqual(projected);
  });

  it('rebuilding the read model from the store gives identical rows', async () => {
    await validator.projection.waitUntilCaughtUp();
    const checksum = async (): Promise<{ n: number; md5: string }> => {
      const { rows } = await sql<{ n: number; md5: string }>`
        SELECT count(*)::int AS n, md5(coalesce(string_agg(h::text, '|' ORDER BY handoff_id), '')) AS md5
          FROM baton_handoff.handoffs h`.execute(validator.db);
      return rows[0]!;
    };
    const before = await checksum();
    expect(before.n).toBeGreaterThan(5);
    const artifacts = await count('baton_handoff.artifacts');
    await sql`UPDATE baton_handoff.handoffs SET status = 'pending', failures = '[]'::jsonb`.execute(validator.db);
    expect((await checksum()).md5).not.toBe(before.md5);
    const { checkpoint } = await validator.projection.lag();
    await validator.projection.rebuild();
    await validator.projection.waitUntilCaughtUp(checkpoint ? { until: checkpoint } : {});
    expect(await checksum()).toEqual(before);
    // The artifact store is primary data, not a read model: a rebuild leaves it alone.
    expect(await count('baton_handoff.artifacts')).toBe(artifacts);
  });
});

describe('handoff-validator start-up', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'handoffs-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stops on an invalid spec file with its file:line:col message, before connecting to anything', async () => {
    await writeFile(path.join(dir, 'broken.yaml'), 'handoff:\n  id: "HO-BROKEN"\n  from: "MCT-PM-001"\n  to: "MCT-ARCH-001"\n  required_artifacts:\n    - name: "prd.md"\n      validation:\n        - "user_stories: at least three"\n');
    const start = startHandoffValidator({
      // Unreachable on purpose: the spec error must come first.
      databaseUrl: 'postgres://nobody:nothing@127.0.0.1:1/none',
      natsUrl: 'nats://127.0.0.1:1',
      httpPort: 0,
      logger: false,
      handoffsDir: dir,
    });
    await expect(start).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(new RegExp(`${path.join(dir, 'broken.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:8:\\d+: `)) });
  });

  it('stops when HANDOFFS_DIR does not exist', async () => {
    const missing = path.join(dir, 'nope');
    await expect(startHandoffValidator({ databaseUrl: 'postgres://x@127.0.0.1:1/x', natsUrl: 'nats://127.0.0.1:1', httpPort: 0, logger: false, handoffsDir: missing })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(missing),
    });
  });
});
