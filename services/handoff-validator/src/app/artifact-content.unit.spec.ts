import { createHash } from 'node:crypto';
import { contentAddress, decodeArtifact, encodeForReply, isTextMediaType } from './artifact-content';

const LIMIT = 1024;

describe('artifact content', () => {
  it('addresses bytes by their SHA-256', () => {
    const bytes = Buffer.from('# PRD\n');
    expect(contentAddress(bytes)).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(contentAddress(new Uint8Array())).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('decodes utf8 text and guesses the media type from the name', () => {
    const a = decodeArtifact({ name: 'prd.md', content: 'héllo', encoding: 'utf8' }, LIMIT);
    expect(a).toEqual({ name: 'prd.md', mediaType: 'text/markdown', bytes: Buffer.from('héllo', 'utf8') });
    expect(decodeArtifact({ name: 'api_spec.yaml', content: 'a: 1', encoding: 'utf8' }, LIMIT).mediaType).toBe('application/yaml');
    expect(decodeArtifact({ name: 'linear_tickets[]', content: '[]', encoding: 'utf8' }, LIMIT).mediaType).toBe('application/json');
    expect(decodeArtifact({ name: 'x.bin', content: '', encoding: 'utf8', mediaType: 'application/octet-stream' }, LIMIT).mediaType).toBe('application/octet-stream');
  });

  it('decodes base64, line-wrapped or not', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253]);
    const b64 = bytes.toString('base64');
    expect(decodeArtifact({ name: 'logo.png', content: b64, encoding: 'base64', mediaType: 'image/png' }, LIMIT).bytes).toEqual(bytes);
    expect(decodeArtifact({ name: 'logo.png', content: `${b64.slice(0, 4)}\n${b64.slice(4)}\n`, encoding: 'base64' }, LIMIT).bytes).toEqual(bytes);
  });

  it.each([
    ['characters outside the alphabet', 'not base64!'],
    ['a length that is not a multiple of 4', 'QUJD' + 'RA'],
    ['misplaced padding', 'QQ==QUJD'],
    ['a last group that does not decode to whole bytes', 'QR=='],
    ['base64url characters', 'a-_b'],
  ])('refuses base64 with %s (VALIDATION_FAILED naming the artifact)', (_label, content) => {
    expect(() => decodeArtifact({ name: 'designs/', content, encoding: 'base64' }, LIMIT)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^artifact "designs\/": content is not valid base64/), details: expect.objectContaining({ artifact: 'designs/' }) }),
    );
  });

  it('refuses text with an unpaired surrogate, which has no UTF-8 form', () => {
    expect(() => decodeArtifact({ name: 'prd.md', content: 'ok \uD800 not ok', encoding: 'utf8' }, LIMIT)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(decodeArtifact({ name: 'prd.md', content: 'emoji 😀', encoding: 'utf8' }, LIMIT).bytes.byteLength).toBe(10);
  });

  it('refuses NUL characters in the name or media type (they cannot be stored)', () => {
    expect(() => decodeArtifact({ name: 'prd\u0000.md', content: 'x', encoding: 'utf8' }, LIMIT)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => decodeArtifact({ name: 'prd.md', content: 'x', encoding: 'utf8', mediaType: 'text/\u0000' }, LIMIT)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('enforces the size limit on decoded bytes (PAYLOAD_TOO_LARGE naming the artifact and the limit)', () => {
    expect(decodeArtifact({ name: 'prd.md', content: 'x'.repeat(LIMIT), encoding: 'utf8' }, LIMIT).bytes.byteLength).toBe(LIMIT);
    expect(() => decodeArtifact({ name: 'prd.md', content: 'é'.repeat(LIMIT / 2 + 1), encoding: 'utf8' }, LIMIT)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', details: { artifact: 'prd.md', size: LIMIT + 2, limit: LIMIT } }),
    );
    const b64 = Buffer.alloc(LIMIT + 1).toString('base64');
    expect(() => decodeArtifact({ name: 'big.bin', content: b64, encoding: 'base64' }, LIMIT)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });

  it('knows text media types', () => {
    for (const t of ['text/markdown', 'text/plain; charset=utf-8', 'application/json', 'application/yaml', 'application/vnd.api+json', 'image/svg+xml']) {
      expect(isTextMediaType(t)).toBe(true);
    }
    for (const t of ['image/png', 'application/octet-stream', 'application/pdf']) expect(isTextMediaType(t)).toBe(false);
  });

  it('replies utf8 for valid UTF-8 text, base64 otherwise', () => {
    expect(encodeForReply(Buffer.from('# PRD é'), 'text/markdown')).toEqual({ encoding: 'utf8', content: '# PRD é' });
    expect(encodeForReply(Buffer.from([0xff, 0xfe, 0x41]), 'text/plain')).toEqual({ encoding: 'base64', content: '//5B' });
    expect(encodeForReply(Buffer.from('plain'), 'application/octet-stream')).toEqual({ encoding: 'base64', content: 'cGxhaW4=' });
    // A byte-order mark is kept: the reply decodes back to the same bytes.
    expect(encodeForReply(Buffer.from('\uFEFFx'), 'text/plain').content).toBe('\uFEFFx');
  });
});
