import { signWebhook, webhookKey } from '../../domain';
import type { ChannelSender, OutgoingNotification } from '../../app/ports';
import { postJson } from './http-post';

/** The JSON body of a webhook delivery: the Standard Webhooks `{type, timestamp, data}` shape. */
export function webhookBody(n: OutgoingNotification): string {
  return JSON.stringify({
    type: n.topic,
    timestamp: n.requested_at.toISOString(),
    data: {
      deliveryId: n.delivery_id,
      recipient: n.recipient,
      title: n.title,
      text: n.text,
      severity: n.severity,
      runId: n.run_id,
      source: n.source,
    },
  });
}

/**
 * A generic webhook signed per the Standard Webhooks specification: `webhook-id` is the delivery
 * id (the same on every attempt, so the receiver can drop repeats), `webhook-timestamp` the
 * attempt's time and `webhook-signature` `v1,<base64 HMAC-SHA256>` of `id.timestamp.body`.
 */
export class WebhookSender implements ChannelSender {
  private readonly key: Buffer;

  constructor(
    private readonly url: string,
    secret: string,
    private readonly now: () => Date,
  ) {
    this.key = webhookKey(secret);
  }

  send(n: OutgoingNotification, _attempt: number, signal: AbortSignal): Promise<string> {
    const body = webhookBody(n);
    return postJson(this.url, body, signWebhook(this.key, n.delivery_id, this.now(), body), signal);
  }
}
