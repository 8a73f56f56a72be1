import {
  AGENT_INBOX_STREAM,
  EVENTS_STREAM,
  Subjects,
  agentCommands,
  agentInboxConsumer,
  registeredMessages,
} from '@baton/contracts';

/**
 * Who a credential speaks for:
 * - `agent`: one agent, only as itself (its agent-scoped commands, heartbeat, queries, its inbox);
 * - `reader`: follows domain events through its own durable consumer (external subscriptions);
 * - `service`: one Baton service (broad: it serves, publishes events and manages JetStream);
 * - `admin`: the CLI and operators (as broad as a service: every command, approvals included);
 * - `harness`: the test harness (everything, the JetStream API included).
 */
export const CredentialKinds = ['agent', 'reader', 'service', 'admin', 'harness'] as const;
export type CredentialKind = (typeof CredentialKinds)[number];

/** NATS publish and subscribe allow-lists of one user (what goes in its JWT). */
export interface NatsPermissions {
  readonly pub: readonly string[];
  readonly sub: readonly string[];
}

/** One subject token: what agent, reader and service ids must be, so a permission names exactly one. */
export const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Prefix of a reader's reply subjects (its connection's `inboxPrefix`). */
export const readerReplies = (readerId: string): string => `_INBOX.reader.${readerId}`;

const js = {
  info: (stream: string, consumer: string) => `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
  next: (stream: string, consumer: string) => `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
  ack: (stream: string, consumer: string) => `$JS.ACK.${stream}.${consumer}.>`,
};

/** Every query subject the contracts declare: read-only, open to agents (their own tasks' context, runs, specs, peers). */
function querySubjects(): string[] {
  return registeredMessages()
    .filter((d) => d.kind === 'query')
    .map((d) => d.subject);
}

/**
 * An agent's permissions, generated from the contracts: it may publish its own agent-scoped
 * commands (`baton.agent.<id>.cmd.<name>` for every agent command), its heartbeat and the
 * queries; fetch from and ack on its own inbox consumer (which the scheduler creates:
 * `open-inbox`); and subscribe only to its own reply subjects. Nothing on `baton.cmd.>`, nothing
 * of another agent, no JetStream management API.
 */
export function agentPermissions(agentId: string): NatsPermissions {
  const consumer = agentInboxConsumer(agentId);
  return {
    pub: [
      ...agentCommands().map((d) => Subjects.agentCommand(agentId, d.name)),
      Subjects.agentHeartbeat(agentId),
      ...querySubjects(),
      js.info(AGENT_INBOX_STREAM, consumer),
      js.next(AGENT_INBOX_STREAM, consumer),
      js.ack(AGENT_INBOX_STREAM, consumer),
    ],
    sub: [`${Subjects.agentReplies(agentId)}.>`],
  };
}

/**
 * A reader's permissions: create, read and delete its own durable consumer `<readerId>` on the
 * events stream (any filter, any start position), fetch and ack on it; replies under
 * {@link readerReplies}. It can publish nothing else.
 */
export function readerPermissions(readerId: string): NatsPermissions {
  return {
    pub: [
      `$JS.API.STREAM.INFO.${EVENTS_STREAM}`,
      `$JS.API.CONSUMER.CREATE.${EVENTS_STREAM}.${readerId}`,
      `$JS.API.CONSUMER.CREATE.${EVENTS_STREAM}.${readerId}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${EVENTS_STREAM}.${readerId}`,
      `$JS.API.CONSUMER.DELETE.${EVENTS_STREAM}.${readerId}`,
      js.info(EVENTS_STREAM, readerId),
      js.next(EVENTS_STREAM, readerId),
      js.ack(EVENTS_STREAM, readerId),
    ],
    sub: [`${readerReplies(readerId)}.>`],
  };
}

/** Services and the CLI: every Baton subject, the JetStream API, KV buckets and object stores, replies. */
const BROAD: NatsPermissions = { pub: ['baton.>', '$JS.>', '$KV.>', '$O.>', '_INBOX.>'], sub: ['baton.>', '$JS.>', '$KV.>', '$O.>', '_INBOX.>'] };

/**
 * The permissions of a credential kind. `id` is the agent or reader id, or the service name;
 * `service` permissions are the same for every service (broad), the credential names which.
 */
export function permissionsFor(kind: CredentialKind, id: string): NatsPermissions {
  switch (kind) {
    case 'agent':
      return agentPermissions(id);
    case 'reader':
      return readerPermissions(id);
    case 'service':
    case 'admin':
      return BROAD;
    case 'harness':
      return { pub: ['>'], sub: ['>'] };
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown credential kind ${String(unreachable)}`);
    }
  }
}

/** A short human summary of a permission set, as `baton agents credentials` prints it. */
export function describePermissions(p: NatsPermissions): string {
  return [`publish (${p.pub.length}):`, ...p.pub.map((s) => `  ${s}`), `subscribe (${p.sub.length}):`, ...p.sub.map((s) => `  ${s}`)].join('\n');
}
