import { RaiseEscalation, type DataOf } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Escalations } from '../app/ports';

/** The escalation service over NATS (`raise-escalation`), acting as the metrics service. */
export class NatsEscalations implements Escalations {
  private readonly client: BatonClient;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.client = new BatonClient(nc, { timeoutMs });
  }

  raise(data: DataOf<typeof RaiseEscalation>, commandId: string): Promise<{ readonly escalationId: string }> {
    return this.client.command(RaiseEscalation, data, { commandId, actor: { kind: 'service', id: 'metrics' } });
  }
}
