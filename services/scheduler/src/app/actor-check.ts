import type { HeaderSource } from '@baton/aggregate';
import type { Actor, CommandEnvelope } from '@baton/contracts';

/**
 * Who a command that records a person's decision (start a run, approve or reject a stage) is
 * from. The envelope's `actor` is whatever the sender wrote; a deployment that gives the scheduler
 * the gateway's public key ({@link GatewayActorAssertions}) takes a person only from the gateway's
 * signed `Baton-Actor` header.
 */
export interface ActorCheck {
  actorOf(command: CommandEnvelope<unknown>, headers: HeaderSource, subject: string): Promise<Actor | undefined>;
}

/**
 * The envelope's actor as sent: for one machine and tests, where whoever reaches NATS is trusted
 * (BATON_ACTOR_KEYS_FILE unset). See docs/security.md, "Trust boundary".
 */
export const TRUST_ENVELOPE_ACTOR: ActorCheck = { actorOf: async (command) => command.actor };
