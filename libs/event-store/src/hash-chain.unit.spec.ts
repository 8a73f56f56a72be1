import { GENESIS_HASH } from '@baton/contracts';
import { canonicalJson } from '@baton/contracts';
import { eventHash } from './hash-chain';

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
