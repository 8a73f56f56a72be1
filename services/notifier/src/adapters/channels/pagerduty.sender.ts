import type { ChannelSender, OutgoingNotification } from '../../app/ports';
import { postJson } from './http-post';

/** The PagerDuty Events API v2 `trigger` event of a notification; `dedup_key` is the delivery id. */
export function pagerDutyEvent(n: OutgoingNotification, routingKey: string, source: string): Record<string, unknown> {
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: n.delivery_id,
    payload: {
      summary: `${n.title}: ${n.text}`.slice(0, 1024),
      source,
      severity: n.severity === 'critical' ? 'critical' : n.severity === 'warning' ? 'warning' : 'info',
      timestamp: n.requested_at.toISOString(),
      component: n.topic,
      custom_details: { text: n.text, runId: n.run_id, topic: n.topic, deliveryId: n.delivery_id },
    },
  };
}

/** PagerDuty Events API v2: `POST <url>/v2/enqueue` (202 accepted). The routing key is a secret. */
export class PagerDutySender implements ChannelSender {
  constructor(
    private readonly baseUrl: string,
    private readonly routingKey: string,
    private readonly source: string,
  ) {}

  send(n: OutgoingNotification, _attempt: number, signal: AbortSignal): Promise<string> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}/v2/enqueue`;
    return postJson(url, JSON.stringify(pagerDutyEvent(n, this.routingKey, this.source)), {}, signal);
  }
}
