import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError, type ChannelSender, type OutgoingNotification } from '../../app/ports';

export interface EmailSettings {
  readonly from: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string | null;
  readonly password: string | null;
}

/**
 * Email over SMTP with nodemailer. The delivery id is the Message-ID (and `X-Baton-Delivery-Id`),
 * so a mail server or reader can drop repeats. An SMTP 5xx is a permanent refusal; connection
 * problems and 4xx are retried.
 */
export class EmailSender implements ChannelSender {
  private readonly transport: Transporter;

  constructor(private readonly settings: EmailSettings) {
    this.transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      ...(settings.user !== null ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
      // Local relays (Mailpit, a sidecar) offer no certificate worth checking; TLS is used when offered.
      tls: { rejectUnauthorized: settings.secure },
    });
  }

  async send(n: OutgoingNotification, _attempt: number, signal: AbortSignal): Promise<string> {
    if (signal.aborted) throw new DeliveryError('aborted', false);
    try {
      const info = await this.transport.sendMail({
        from: this.settings.from,
        to: n.recipient,
        subject: `[Baton] ${n.title}`,
        text: `${n.text}\n\n--\n${n.topic}${n.run_id ? ` · run ${n.run_id}` : ''}\nDelivery ${n.delivery_id}\n`,
        messageId: `<${n.delivery_id}@baton.notifier>`,
        headers: { 'X-Baton-Delivery-Id': n.delivery_id, 'X-Baton-Topic': n.topic },
      });
      return String(info.response ?? 'accepted').slice(0, 200);
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message?: string };
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
      throw new DeliveryError(`SMTP ${e.responseCode ?? e.code ?? 'error'}: ${(e.message ?? '').split('\n')[0]}`, permanent);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
