import { createHash } from 'node:crypto';

/** Namespace of Baton's name-based event ids (a fixed random UUID). */
const NAMESPACE = Buffer.from('6f1c2a9e5b7d4e0f8a3c1d2e4f5a6b7c', 'hex');

/**
 * A UUID v5-style id (SHA-1 of a namespace and a name, version 5, RFC 4122 variant)
 * for event `index` of command `commandId` on `streamId`. A retried command yields the
 * same ids, so the server and the adapter both recognise the retry.
 */
export function commandEventId(streamId: string, commandId: string, index: number): string {
  const name = Buffer.from(JSON.stringify([streamId, commandId, index]), 'utf8');
  const h = createHash('sha1').update(NAMESPACE).update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
