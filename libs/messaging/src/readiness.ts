import type { NatsConnection } from '@nats-io/transport-node';
import type { ReadinessCheck } from '@baton/telemetry';
import type { EventRelay } from './event.relay';

/**
 * Readiness check `nats`: the connection is open and answers a round trip (bounded by the health
 * module's per-check timeout).
 *
 * @example
 * HealthModule.forRoot({ checks: [natsReadiness(nats.nc)] })
 */
export function natsReadiness(nc: NatsConnection): ReadinessCheck {
  return {
    name: 'nats',
    check: async () => {
      if (nc.isClosed()) throw new Error('connection closed');
      await nc.rtt();
    },
  };
}

/**
 * Readiness check `relay`: the event relay of the service's events to JetStream is running.
 *
 * @example
 * relayReadiness(relay) // fails with "event relay is not running" once stopped
 */
export function relayReadiness(relay: Pick<EventRelay, 'lag'>): ReadinessCheck {
  return {
    name: 'relay',
    check: () => {
      if (!relay.lag().running) throw new Error('event relay is not running');
    },
  };
}
