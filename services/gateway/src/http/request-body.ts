import type { IncomingMessage } from 'node:http';
import { assertJsonDepth, BatonError, decodeJson, MAX_JSON_DEPTH } from '@baton/contracts';

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON with the checks every Baton
 * boundary makes (size, nesting depth, syntax). An empty body is undefined. A body announced or
 * found larger than the limit is refused without reading the rest.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = (size: number | string) => new BatonError('PAYLOAD_TOO_LARGE', `request body is ${size} bytes; the limit is ${maxBytes} bytes`, { limit: maxBytes });
  const announced = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(announced) && announced > maxBytes) throw tooLarge(announced);
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge(`more than ${maxBytes}`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve());
    req.once('error', reject);
  });
  const raw = Buffer.concat(chunks);
  if (raw.length === 0 || raw.toString('utf8').trim() === '') return undefined;
  const type = String(req.headers['content-type'] ?? 'application/json');
  if (!/^application\/([a-z.+-]+\+)?json\b/i.test(type)) {
    throw new BatonError('VALIDATION_FAILED', `send the body as application/json (it came as ${type})`, { contentType: type });
  }
  assertJsonDepth(raw, MAX_JSON_DEPTH);
  return decodeJson(raw, maxBytes);
}
