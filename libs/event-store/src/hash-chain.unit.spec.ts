import { GENESIS_HASH } from '@baton/contracts';
import { canonicalJson } from '@baton/contracts';
import { ChainWalk, HASH_VERSION_CANONICAL_JSON, HASH_VERSION_SQL_JSONB, chainEvents, eventHash, type ChainBreak, type StoredLink } from './hash-chain';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson(['x', 1.5, true])).toBe('["x",1.5,true]');
    expect(canonicalJson('é"\n')).toBe(JSON.stringify('é"\n'));
  });

  it('refuses values that are not JSON', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe('eventHash', () => {
  const base = { streamId: 'task-1', revision: 0, eventId: '00000000-0000-4000-8000-000000000001', type: 'A', schemaVersion: 1, data: { x: 1, y: [1, 2] }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } };

  it('is a stable hex SHA-256 that ignores key order', () => {
    const h = eventHash(GENESIS_HASH, base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash(GENESIS_HASH, { ...base, data: { y: [1, 2], x: 1 } })).toBe(h);
  });

  it('changes when any covered field or the previous hash changes', () => {
    const h = eventHash(GENESIS_HASH, base);
    const variants = [
      eventHash('1'.repeat(64), base),
      eventHash(GENESIS_HASH, { ...base, streamId: 'task-2' }),
      eventHash(GENESIS_HASH, { ...base, revision: 1 }),
      eventHash(GENESIS_HASH, { ...base, eventId: '00000000-0000-4000-8000-000000000002' }),
      eventHash(GENESIS_HASH, { ...base, type: 'B' }),
      eventHash(GENESIS_HASH, { ...base, schemaVersion: 2 }),
      eventHash(GENESIS_HASH, { ...base, data: { x: 2, y: [1, 2] } }),
      eventHash(GENESIS_HASH, { ...base, metadata: { occurredAt: '2026-01-02T00:00:00Z' } }),
    ];
    expect(new Set([h, ...variants]).size).toBe(variants.length + 1);
  });
});

describe('chainEvents (hash version 2)', () => {
  const events = [
    { eventId: '00000000-0000-4000-8000-000000000001', type: 'A', schemaVersion: 1, data: { y: [1, { b: 2, a: 'é"\n' }], x: 1.5 }, metadata: { occurredAt: '2026-01-01T00:00:00Z', actor: { kind: 'agent', id: 'a-1' } } },
    { eventId: '00000000-0000-4000-8000-000000000002', type: 'B', schemaVersion: 3, data: [], metadata: { occurredAt: '2026-01-01T00:00:01Z' } },
    { eventId: '00000000-0000-4000-8000-000000000003', type: 'C', schemaVersion: 1, data: { big: 2 ** 60, neg: -0.25, nil: null }, metadata: { occurredAt: '2026-01-01T00:00:02Z' } },
  ];

  it('links each event to the one before with the same hashes as eventHash, from a new stream and from a head', () => {
    for (const [headRevision, headHash] of [
      [-1, GENESIS_HASH],
      [41, 'f'.repeat(64)],
    ] as const) {
      const links = chainEvents('task-1', headRevision, headHash, events);
      let prev = headHash;
      links.forEach((link, i) => {
        const e = events[i]!;
        expect(link.revision).toBe(headRevision + 1 + i);
        expect(link.prevHash).toBe(prev);
        expect(link.hash).toBe(eventHash(prev, { streamId: 'task-1', revision: link.revision, ...e }));
        expect(link.dataJson).toBe(canonicalJson(e.data));
        expect(link.metadataJson).toBe(canonicalJson(e.metadata));
        prev = link.hash;
      });
    }
  });
});

describe('ChainWalk', () => {
  const stored = (streamId: string, n: number) => {
    const input = Array.from({ length: n }, (_, i) => ({ eventId: `00000000-0000-4000-8000-00000000000${i}`, type: 'T', schemaVersion: 1, data: { i }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }));
    return chainEvents(streamId, -1, GENESIS_HASH, input).map((l, i) => ({ ...input[i]!, streamId, revision: l.revision, prevHash: l.prevHash, hash: l.hash, hashVersion: HASH_VERSION_CANONICAL_JSON }));
  };
  const walk = (links: readonly StoredLink[]): ChainBreak | { ok: number } => {
    const w = new ChainWalk(GENESIS_HASH);
    for (const l of links) {
      const broken = w.next(l);
      if (broken) return broken;
    }
    return { ok: w.expectedRevision };
  };

  it('accepts an intact version 2 chain, recomputed in Node', () => {
    expect(walk(stored('s', 3))).toEqual({ ok: 3 });
  });

  it('names an edited version 2 event, and the next link when its hash was recomputed too', () => {
    const edited = stored('s', 3);
    edited[1] = { ...edited[1]!, data: { i: 9 } };
    expect(walk(edited)).toMatchObject({ brokenAt: 1, reason: expect.stringMatching(/does not match its hash/) as unknown });
    edited[1] = { ...edited[1], hash: eventHash(edited[1].prevHash, edited[1]) };
    expect(walk(edited)).toMatchObject({ brokenAt: 2, reason: expect.stringMatching(/prev_hash/) as unknown });
  });

  it('takes the database’s recomputation for version 1 events, in a chain that goes on in version 2', () => {
    // Version 1 hashes are SHA-256 over the text Postgres renders for jsonb: only SQL recomputes them.
    const v1 = { streamId: 's', revision: 0, eventId: '00000000-0000-4000-8000-000000000009', type: 'T', schemaVersion: 1, data: {}, metadata: {}, prevHash: GENESIS_HASH, hash: 'a'.repeat(64), hashVersion: HASH_VERSION_SQL_JSONB };
    const after = chainEvents('s', 0, v1.hash, [{ eventId: '00000000-0000-4000-8000-000000000010', type: 'T', schemaVersion: 1, data: { n: 1 }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }])[0]!;
    const v2 = { streamId: 's', revision: 1, eventId: '00000000-0000-4000-8000-000000000010', type: 'T', schemaVersion: 1, data: { n: 1 }, metadata: { occurredAt: '2026-01-01T00:00:00Z' }, prevHash: after.prevHash, hash: after.hash, hashVersion: HASH_VERSION_CANONICAL_JSON };
    expect(walk([{ ...v1, recomputedInSql: v1.hash }, v2])).toEqual({ ok: 2 });
    expect(walk([{ ...v1, recomputedInSql: 'b'.repeat(64) }, v2])).toMatchObject({ brokenAt: 0, reason: expect.stringMatching(/recomputed b{64}/) as unknown });
    expect(walk([{ ...v1, recomputedInSql: null }, v2])).toMatchObject({ brokenAt: 0 });
  });

  it('names a missing revision and an unknown hash version', () => {
    const links = stored('s', 3);
    expect(walk([links[0]!, links[2]!])).toMatchObject({ brokenAt: 1, reason: expect.stringMatching(/revision 1 is missing/) as unknown });
    expect(walk([{ ...links[0]!, hashVersion: 7 }])).toMatchObject({ brokenAt: 0, reason: expect.stringMatching(/unknown hash version 7/) as unknown });
  });
});
