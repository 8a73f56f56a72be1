/** The services that own subjects. */
export const ServiceNames = [
  'scheduler',
  'agent-registry',
  'handoff-validator',
  'escalation',
  'metrics',
  'notifier',
  'gateway',
] as const;
export type ServiceName = (typeof ServiceNames)[number];

const TOKEN = /^[a-z0-9][a-z0-9-]*$/;

function token(kind: string, value: string): string {
  if (!TOKEN.test(value)) {
    throw new Error(`invalid ${kind} subject token "${value}": use lower-case letters, digits and dashes`);
  }
  return value;
}

/**
 * Subject names (ARCHITECTURE.md, "Subjects"). Build them here, never by string concatenation elsewhere.
 *
 * @example Subjects.command('agent-registry', 'register-agent') // 'baton.cmd.agent-registry.register-agent'
 */
export const Subjects = {
  command: (service: ServiceName, command: string): string => `baton.cmd.${service}.${token('command', command)}`,
  query: (service: ServiceName, query: string): string => `baton.qry.${service}.${token('query', query)}`,
  /** `baton.evt.<aggregate>.<event>`, e.g. `baton.evt.agent.registered`. */
  event: (aggregate: string, event: string): string => `baton.evt.${token('aggregate', aggregate)}.${token('event', event)}`,
  allEvents: 'baton.evt.>',
  agentInbox: (agentId: string): string => `baton.agent.${agentId}.inbox`,
  agentHeartbeat: (agentId: string): string => `baton.agent.${agentId}.heartbeat`,
  /**
   * `baton.agent.<agentId>.cmd.<command>`: a command an agent sends about itself. The NATS server
   * lets an agent's credentials publish only under its own id, so the service reads the agent
   * from this subject (docs/security.md).
   */
  agentCommand: (agentId: string, command: string): string => `baton.agent.${agentId}.cmd.${token('command', command)}`,
  /** Prefix of an agent's reply subjects (NATS `inboxPrefix`): its credentials may subscribe only there. */
  agentReplies: (agentId: string): string => `_INBOX.agent.${agentId}`,
  /** Queue group shared by all replicas of a service. */
  queueGroup: (service: ServiceName): string => `baton-${service}`,
} as const;

/** The agent id of an agent-scoped subject (`baton.agent.<agentId>.…`), or undefined for any other subject. */
export function agentIdOfSubject(subject: string): string | undefined {
  const parts = subject.split('.');
  return parts.length >= 4 && parts[0] === 'baton' && parts[1] === 'agent' && parts[2] !== '' ? parts[2] : undefined;
}

/** JetStream stream that holds every domain event published by the relays. */
export const EVENTS_STREAM = 'BATON_EVENTS';
/** JetStream stream that holds poison messages moved aside by consumers. */
export const DEAD_LETTER_STREAM = 'BATON_DLQ';
export const deadLetterSubject = (consumer: string): string => `baton.dlq.${consumer}`;

/** `PascalCase` event type to the dash-case subject token: `AgentRegistered` → `registered` for aggregate `agent`. */
export function eventSubjectFor(aggregate: string, eventType: string): string {
  const dashed = eventType.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  const prefix = `${aggregate}-`;
  return Subjects.event(aggregate, dashed.startsWith(prefix) ? dashed.slice(prefix.length) : dashed);
}
