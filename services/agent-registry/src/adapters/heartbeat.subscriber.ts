import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { Subjects } from '@baton/contracts';
import type { HeartbeatMonitor } from '../app/heartbeat.monitor';

/**
 * Subscribes `baton.agent.*.heartbeat` in the service's queue group (one replica gets each
 * heartbeat) and hands every message to the monitor, which logs and drops bad ones.
 * Returns a stop function that unsubscribes and waits for the heartbeats in hand.
 */
export function subscribeHeartbeats(nc: NatsConnection, monitor: HeartbeatMonitor): () => Promise<void> {
  const sub: Subscription = nc.subscribe(Subjects.agentHeartbeat('*'), {
    queue: Subjects.queueGroup('agent-registry'),
    callback: (err, msg) => {
      if (err) return;
      void monitor.onMessage(msg.subject, msg.data);
    },
  });
  return async () => {
    sub.unsubscribe();
    await sub.closed.catch(() => undefined);
  };
}
