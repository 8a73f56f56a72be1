import { createHmac } from 'node:crypto';

/** Prefix of Standard Webhooks secrets; the rest is the key, base64. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** The key bytes of a `whsec_<base64>` secret (a secret without the prefix is read as base64 too). */
export function webhookKey(secret: string): Buffer {
  const raw = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  const key = Buffer.from(raw, 'base64');
  if (key.length < 16) throw new Error('webhook secret: expected whsec_ followed by at least 16 bytes of base64');
  return key;
}

/**
 * The Standard Webhooks headers of one delivery attempt: `webhook-id` (the delivery id, the same
 * on every attempt), `webhook-timestamp` (seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`).
 *
 * @example
 * signWebhook(webhookKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), 'n-1', new Date(), '{"a":1}')
 */
export function signWebhook(key: Buffer, id: string, at: Date, body: string): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
