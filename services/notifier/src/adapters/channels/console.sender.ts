import type { ChannelSender, OutgoingNotification } from '../../app/ports';

/** Where console notifications go: the service's structured (pino) log. */
export interface ConsoleSink {
  info(fields: Record<string, unknown>, message: string): void;
}

/** The console channel: one structured log line per notification. */
export class ConsoleSender implements ChannelSender {
  constructor(private readonly sink: ConsoleSink) {}

  async send(n: OutgoingNotification): Promise<string> {
    this.sink.info({ notification: { deliveryId: n.delivery_id, recipient: n.recipient, topic: n.topic, runId: n.run_id, severity: n.severity, text: n.text } }, n.title);
    return 'logged';
  }
}
