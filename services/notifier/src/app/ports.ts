import { BatonError } from '@baton/contracts';
import type { NotificationRow } from '../read-model/notifier.tables';

/** One delivery as a channel sends it (the read model's row: id, recipient, title, text, …). */
export type OutgoingNotification = Pick<NotificationRow, 'delivery_id' | 'recipient' | 'title' | 'text' | 'severity' | 'source' | 'topic' | 'run_id' | 'channel' | 'requested_at'>;

/**
 * Sends one attempt of a delivery over one channel; resolves with what the receiver answered
 * (`HTTP 202`, the SMTP reply) and throws {@link DeliveryError} when it did not accept it.
 * `signal` aborts the attempt when it runs out of time or the service stops.
 */
export interface ChannelSender {
  send(notification: OutgoingNotification, attempt: number, signal: AbortSignal): Promise<string>;
  close?(): Promise<void>;
}

/**
 * A delivery attempt the receiver did not accept. `permanent` when trying again cannot help
 * (HTTP 4xx other than 408 and 429, an SMTP 5xx); anything else is retried with back-off.
 */
export class DeliveryError extends BatonError {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(permanent ? 'VALIDATION_FAILED' : 'UNAVAILABLE', message, { permanent }, !permanent);
    this.name = 'DeliveryError';
  }
}

/** Whether an HTTP status means the receiver refused for good. */
export function permanentHttpStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Replaces every secret value in `text` with `[redacted]`: error messages of HTTP and SMTP
 * clients can quote URLs, keys or passwords, and none may reach a log line or an event.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => values.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}
