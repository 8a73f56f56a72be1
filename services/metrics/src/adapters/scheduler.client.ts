import { errorCodeOf, PauseRun } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunControl } from '../app/ports';

/** The scheduler over NATS (`pause-run`), acting as the metrics service. */
export class NatsRunControl implements RunControl {
  private readonly client: BatonClient;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.client = new BatonClient(nc, { timeoutMs });
  }

  async pause(runId: string, reason: string, commandId: string): Promise<boolean> {
    try {
      await this.client.command(PauseRun, { runId, reason }, { commandId, correlationId: runId, actor: { kind: 'service', id: 'metrics' } });
      return true;
    } catch (err) {
      // Already paused, or finished: there is nothing left to pause.
      if (errorCodeOf(err) === 'ILLEGAL_TRANSITION') return false;
      throw err;
    }
  }
}
