import { z } from 'zod';
import { RecordedEventSchema } from '../envelope';
import { ErrorCodes } from '../errors';
import { ACTOR_ASSERTION_HEADER } from '../gateway.api';
import { CommandEnvelopeSchema, QueryEnvelopeSchema, registeredMessages, type MessageDefinition } from '../messages';
import { AGENT_INBOX_STREAM, AGENT_INBOX_SUBJECTS } from '../scheduler.messages';
import { DEAD_LETTER_STREAM, deadLetterSubject, EVENTS_STREAM, eventSubjectFor, Subjects } from '../subjects';
import { AgentHeartbeat, AgentInboxAssignment } from '../task.events';
import { eventCatalog } from './event-catalog';

// Loaded for their side effect: every command and query module registers its definitions, so
// the document lists all of them whoever imported what first.
import '../index';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface AsyncApiOptions {
  /** The document's `info.version`: Baton's release (the root package.json version). */
  readonly version: string;
}

const NATS_BINDING_VERSION = '0.1.0';

/** draft-07 JSON Schema of a zod schema (`io: 'input'` for what callers send: defaults make fields optional). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as JsonObject;
  delete out['$schema'];
  return out;
}

const ref = (path: string): JsonObject => ({ $ref: path });

/** A component key: letters, digits, dot, dash and underscore. */
const key = (...parts: string[]): string => parts.join('.');

function pascal(dashed: string): string {
  return dashed.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

const TRACE_HEADERS: JsonObject = {
  traceparent: {
    type: 'string',
    description: 'W3C trace context of the sender; replies and the events a command causes continue the trace.',
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
  },
  tracestate: { type: 'string', description: 'W3C trace state, when the sender has one.' },
};

/** Header schemas, by component name. The names are the ones libs/messaging writes. */
const HEADERS: Record<string, JsonObject> = {
  RequestHeaders: {
    type: 'object',
    properties: {
      ...TRACE_HEADERS,
      [ACTOR_ASSERTION_HEADER]: {
        type: 'string',
        description: "On commands the gateway sends for an authenticated caller: a compact JWS (the gateway's actor key) naming the actor and bound to this command id and subject. Services take a person's identity only from it, never from the envelope's `actor`.",
      },
    },
  },
  EventHeaders: {
    type: 'object',
    properties: {
      'Nats-Msg-Id': { type: 'string', description: 'The event id: JetStream drops a republish inside the stream de-duplication window; consumers dedupe by it beyond.' },
      'Baton-Event-Type': { type: 'string', description: 'The event type, e.g. `TaskAssigned`.' },
      'Baton-Schema-Version': { type: 'string', pattern: '^[1-9][0-9]*$', description: 'Version of the shape of `data` (also in the body as `schemaVersion`).' },
      'Baton-Stream-Id': { type: 'string', description: 'The event-store stream, e.g. `task-42`.' },
      'Baton-Revision': { type: 'string', pattern: '^[0-9]+$', description: 'Revision of the event in its stream (0-based).' },
      'Baton-Position': { type: 'string', pattern: '^[0-9]+/[0-9]+$', description: 'Global position `commit/prepare`.' },
      'Baton-Correlation-Id': { type: 'string', description: 'The run (or task) the event belongs to, when it has one.' },
      ...TRACE_HEADERS,
    },
    required: ['Nats-Msg-Id', 'Baton-Event-Type', 'Baton-Schema-Version', 'Baton-Stream-Id', 'Baton-Revision', 'Baton-Position'],
  },
  InboxHeaders: {
    type: 'object',
    properties: {
      'Nats-Msg-Id': { type: 'string', description: 'The id of the `TaskAssigned` event this assignment comes from: an assignment is delivered once per event.' },
      // With tracing on, the scheduler publishes an assignment in a span under the task's trace.
      ...TRACE_HEADERS,
    },
    required: ['Nats-Msg-Id'],
  },
  DeadLetterHeaders: {
    type: 'object',
    description: 'The original message headers, plus these.',
    properties: {
      'Baton-Dlq-Error-Code': { type: 'string', description: "Code of the last failure: an error code, or the consumer's own." },
      'Baton-Dlq-Error': { type: 'string', description: 'Message of the last failure, one line.' },
      'Baton-Dlq-Consumer': { type: 'string', description: 'The durable consumer that gave up.' },
      'Baton-Dlq-Original-Stream': { type: 'string' },
      'Baton-Dlq-Original-Subject': { type: 'string' },
      'Baton-Dlq-Original-Sequence': { type: 'string', pattern: '^[0-9]+$' },
      'Baton-Dlq-Deliveries': { type: 'string', pattern: '^[0-9]+$', description: 'Deliveries made before it was moved aside.' },
    },
    required: ['Baton-Dlq-Error-Code', 'Baton-Dlq-Consumer', 'Baton-Dlq-Original-Stream', 'Baton-Dlq-Original-Subject', 'Baton-Dlq-Original-Sequence'],
  },
};

const ERROR_REPLY: JsonObject = {
  type: 'object',
  properties: {
    ok: { const: false },
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', enum: [...ErrorCodes], description: 'Stable: branch on it, never on the message (docs/messaging.md lists what each means).' },
        message: { type: 'string' },
        details: { description: 'Structured detail, e.g. `issues` for VALIDATION_FAILED.' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['ok', 'error'],
};

/** The request body of a definition: the command or query envelope with the latest `data`. */
function requestPayload(def: MessageDefinition): JsonObject {
  const envelope = def.kind === 'command' ? CommandEnvelopeSchema : QueryEnvelopeSchema;
  const payload = jsonSchema(envelope.extend({ data: def.versions[def.latestVersion]! }), 'input');
  const props = payload['properties'] as JsonObject;
  props['schemaVersion'] = { type: 'integer', enum: Object.keys(def.versions).map(Number), description: `Version of \`data\`; default ${def.latestVersion} (the latest). Older versions are upcast.` };
  const older = Object.keys(def.versions)
    .map(Number)
    .filter((v) => v !== def.latestVersion);
  if (older.length > 0) payload['x-baton-older-data-versions'] = Object.fromEntries(older.map((v) => [String(v), jsonSchema(def.versions[v]!, 'input')]));
  return payload;
}

function okReplyPayload(def: MessageDefinition): JsonObject {
  return { type: 'object', properties: { ok: { const: true }, data: jsonSchema(def.reply, 'output') }, required: ['ok', 'data'] };
}

/** The event envelope (a RecordedEvent as JSON) with `type` fixed and `data` the type's schema. */
function eventPayload(type: string, schema: z.ZodType | null): JsonObject {
  const data = schema === null ? z.record(z.string(), z.unknown()).describe('An object; its fields are not described in the contracts yet.') : schema;
  return jsonSchema(RecordedEventSchema.extend({ type: z.literal(type), data }), 'output');
}

interface Parts {
  readonly channels: Record<string, JsonObject>;
  readonly operations: Record<string, JsonObject>;
  readonly messages: Record<string, JsonObject>;
}

function addRequestReply(parts: Parts, def: MessageDefinition): void {
  const id = key(def.kind === 'command' ? 'cmd' : 'qry', def.service, def.name);
  const name = pascal(def.name);
  const requestId = key(def.service, name);
  const okId = key(def.service, name, 'Ok');
  parts.messages[requestId] = {
    name,
    title: `${def.kind === 'command' ? 'Command' : 'Query'} ${def.name}`,
    contentType: 'application/json',
    headers: ref('#/components/schemas/RequestHeaders'),
    payload: requestPayload(def),
  };
  parts.messages[okId] = { name: `${name}Ok`, title: `Reply to ${def.name}: done`, contentType: 'application/json', headers: ref('#/components/schemas/RequestHeaders'), payload: okReplyPayload(def) };
  parts.channels[id] = {
    address: def.subject,
    title: def.subject,
    messages: { request: ref(`#/components/messages/${requestId}`) },
  };
  const replyId = key(id, 'reply');
  parts.channels[replyId] = {
    address: null,
    description: `The reply subject of a request on ${def.subject} (the requester's \`_INBOX.>\` subject).`,
    messages: { ok: ref(`#/components/messages/${okId}`), error: ref('#/components/messages/ErrorReply') },
  };
  parts.operations[id] = {
    action: 'receive',
    title: def.subject,
    summary:
      def.kind === 'command'
        ? `${def.service} runs ${def.name}; \`ok: true\` once its events are committed. The same commandId again returns the first reply.`
        : `${def.service} answers ${def.name} from its read model.`,
    channel: ref(`#/channels/${id}`),
    messages: [ref(`#/channels/${id}/messages/request`)],
    reply: { channel: ref(`#/channels/${replyId}`), messages: [ref(`#/channels/${replyId}/messages/ok`), ref(`#/channels/${replyId}/messages/error`)] },
    bindings: { nats: { queue: Subjects.queueGroup(def.service), bindingVersion: NATS_BINDING_VERSION } },
  };
  if (def.agentField !== undefined) addAgentCommand(parts, def, def.agentField, okId);
}

/** The request payload with the field at `path` under `data` (`agentId`, `requirement.agentId`) no longer required. */
function withOptionalDataField(payload: JsonObject, path: string): JsonObject {
  const copy = JSON.parse(JSON.stringify(payload)) as JsonObject;
  let node = (copy['properties'] as JsonObject)['data'] as JsonObject;
  const keys = path.split('.');
  for (const k of keys.slice(0, -1)) node = (node['properties'] as JsonObject)[k] as JsonObject;
  const required = node['required'];
  if (Array.isArray(required)) {
    const rest = required.filter((r) => r !== keys[keys.length - 1]);
    if (rest.length > 0) node['required'] = rest;
    else delete node['required'];
  }
  return copy;
}

/** The agent-scoped subject of a command an agent sends about itself: same messages, the agent named by the subject. */
function addAgentCommand(parts: Parts, def: MessageDefinition, agentField: string, okId: string): void {
  const address = Subjects.agentCommand('{agentId}', def.name);
  const id = key('agent', 'cmd', def.name);
  const replyId = key(id, 'reply');
  const name = pascal(def.name);
  const requestId = key(def.service, name, 'FromAgent');
  parts.messages[requestId] = {
    name: `${name}FromAgent`,
    title: `Command ${def.name}, sent by an agent about itself`,
    contentType: 'application/json',
    headers: ref('#/components/schemas/RequestHeaders'),
    payload: withOptionalDataField(requestPayload(def), agentField),
  };
  parts.channels[id] = {
    address,
    title: address,
    parameters: AGENT_ID_PARAMETER,
    messages: { request: ref(`#/components/messages/${requestId}`) },
  };
  parts.channels[replyId] = {
    address: null,
    description: `The reply subject of the agent's request on ${address}: under \`${Subjects.agentReplies('<agentId>')}.\`, the only replies its credentials may read.`,
    messages: { ok: ref(`#/components/messages/${okId}`), error: ref('#/components/messages/ErrorReply') },
  };
  parts.operations[id] = {
    action: 'receive',
    title: address,
    summary: `${def.service} runs ${def.name} for the agent the subject names (the NATS server lets an agent publish only under its own id); \`${agentField}\` in data may be left out, and naming another agent is FORBIDDEN. Otherwise as ${def.subject}.`,
    channel: ref(`#/channels/${id}`),
    messages: [ref(`#/channels/${id}/messages/request`)],
    reply: { channel: ref(`#/channels/${replyId}`), messages: [ref(`#/channels/${replyId}/messages/ok`), ref(`#/channels/${replyId}/messages/error`)] },
    bindings: { nats: { queue: Subjects.queueGroup(def.service), bindingVersion: NATS_BINDING_VERSION } },
  };
}

/** A channel with one message that goes one way (no reply), and the operation on it. */
interface OneWay {
  readonly id: string;
  readonly address: string;
  readonly title: string;
  readonly parameters?: JsonObject;
  /** The message's key in the channel, its component id and the component itself. */
  readonly message: { readonly key: string; readonly id: string; readonly name: string; readonly title: string; readonly headers?: string; readonly payload: JsonObject };
  readonly jetstream?: JsonObject;
  readonly operation: { readonly action: 'send' | 'receive'; readonly title: string; readonly summary: string; readonly queue?: string };
}

function addOneWay(parts: Parts, w: OneWay): void {
  const m = w.message;
  parts.messages[m.id] = {
    name: m.name,
    title: m.title,
    contentType: 'application/json',
    ...(m.headers === undefined ? {} : { headers: ref(`#/components/schemas/${m.headers}`) }),
    payload: m.payload,
  };
  parts.channels[w.id] = {
    address: w.address,
    title: w.title,
    ...(w.parameters === undefined ? {} : { parameters: w.parameters }),
    messages: { [m.key]: ref(`#/components/messages/${m.id}`) },
    ...(w.jetstream === undefined ? {} : { 'x-jetstream': w.jetstream }),
  };
  const op = w.operation;
  parts.operations[w.id] = {
    action: op.action,
    title: op.title,
    summary: op.summary,
    channel: ref(`#/channels/${w.id}`),
    messages: [ref(`#/channels/${w.id}/messages/${m.key}`)],
    ...(op.queue === undefined ? {} : { bindings: { nats: { queue: op.queue, bindingVersion: NATS_BINDING_VERSION } } }),
  };
}

function addEvents(parts: Parts): void {
  for (const event of eventCatalog()) {
    const subject = eventSubjectFor(event.category, event.type);
    addOneWay(parts, {
      id: subject.replace(/^baton\./, ''),
      address: subject,
      title: subject,
      message: { key: event.type, id: key('event', event.type), name: event.type, title: `${event.type} (stream \`${event.category}-<id>\`)`, headers: 'EventHeaders', payload: eventPayload(event.type, event.schema) },
      jetstream: { stream: EVENTS_STREAM, streamSubjects: [Subjects.allEvents] },
      operation: {
        action: 'send',
        title: subject,
        summary: `The relay of the service that owns \`${event.category}-*\` streams publishes each committed ${event.type} here, with Nats-Msg-Id = event id.`,
      },
    });
  }
}

const AGENT_ID_PARAMETER: JsonObject = { agentId: { description: 'The agent id: one subject token (letters, digits, dash, underscore).' } };

function addAgentAndDeadLetters(parts: Parts): void {
  addOneWay(parts, {
    id: 'agent.inbox',
    address: Subjects.agentInbox('{agentId}'),
    title: 'agent inbox',
    parameters: AGENT_ID_PARAMETER,
    message: { key: 'assignment', id: 'AgentInboxAssignment', name: 'AgentInboxAssignment', title: 'A task assigned to the agent', headers: 'InboxHeaders', payload: jsonSchema(AgentInboxAssignment, 'output') },
    jetstream: {
      stream: AGENT_INBOX_STREAM,
      streamSubjects: [AGENT_INBOX_SUBJECTS],
      durableConsumer: 'agent-<agentId> (the agent id with characters other than letters, digits, dash and underscore as _)',
      ackPolicy: 'explicit',
    },
    operation: {
      action: 'send',
      title: 'assign a task',
      summary: "The scheduler puts each assignment in the assignee's inbox; it waits there while the agent is offline. The agent acknowledges once its outcome is recorded.",
    },
  });
  addOneWay(parts, {
    id: 'agent.heartbeat',
    address: Subjects.agentHeartbeat('{agentId}'),
    title: 'agent heartbeat',
    parameters: AGENT_ID_PARAMETER,
    message: { key: 'heartbeat', id: 'AgentHeartbeat', name: 'AgentHeartbeat', title: 'An agent is alive', payload: jsonSchema(AgentHeartbeat, 'input') },
    operation: {
      action: 'receive',
      title: 'heartbeat',
      summary: 'Core NATS, no reply. The agent-registry marks an agent offline after a window without one.',
      queue: Subjects.queueGroup('agent-registry'),
    },
  });
  addOneWay(parts, {
    id: 'dlq',
    address: deadLetterSubject('{consumer}'),
    title: 'dead letters',
    parameters: { consumer: { description: 'The durable consumer that moved the message aside.' } },
    message: { key: 'deadLetter', id: 'DeadLetter', name: 'DeadLetter', title: 'A message a consumer gave up on', headers: 'DeadLetterHeaders', payload: { description: 'The original message body, unchanged.' } },
    jetstream: { stream: DEAD_LETTER_STREAM, streamSubjects: [deadLetterSubject('>')] },
    operation: {
      action: 'send',
      title: 'dead-letter',
      summary: 'A durable consumer copies a message it failed to handle `maxDeliver` times (or one that is not a valid event) here, then terminates it.',
    },
  });
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The AsyncAPI 3.0 document of Baton's NATS interface, built from the contracts alone: every
 * command and query (request/reply, with the ok and error replies), every domain event, the
 * agent inbox and heartbeat, and the dead letters. Pure: same contracts, same document.
 *
 * @example
 * const doc = buildAsyncApiDocument({ version: '0.1.0' });
 * Object.values(doc.channels).map((c) => c.address) // 'baton.cmd.scheduler.submit-task', …
 */
export function buildAsyncApiDocument(options: AsyncApiOptions): JsonObject & { channels: Record<string, JsonObject>; operations: Record<string, JsonObject> } {
  const parts: Parts = { channels: {}, operations: {}, messages: {} };
  const defs = [...registeredMessages()].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
  const seen = new Set<string>();
  for (const def of defs) {
    if (seen.has(def.subject)) continue;
    seen.add(def.subject);
    addRequestReply(parts, def);
  }
  addEvents(parts);
  addAgentAndDeadLetters(parts);
  parts.messages['ErrorReply'] = { name: 'ErrorReply', title: 'Reply: refused or failed', contentType: 'application/json', headers: ref('#/components/schemas/RequestHeaders'), payload: ERROR_REPLY };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Baton',
      version: options.version,
      description:
        'The NATS interface of Baton, the control plane for teams of AI agents. Commands (`baton.cmd.<service>.<command>`) and queries (`baton.qry.<service>.<query>`) are request/reply with plain JSON bodies; domain events (`baton.evt.<aggregate>.<event>`) are in JetStream. Generated from libs/contracts by `npm run gen:asyncapi`; do not edit by hand. Prose: docs/messaging.md.',
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:4222',
        protocol: 'nats',
        description:
          'The local stack (`npm run infra:up`). JetStream is required. With auth on, every client connects with its own .creds file (decentralized JWT and NKey): an agent publishes only its own `baton.agent.<agentId>.*` subjects and the queries, and reads only its own replies and inbox; the permission lists are generated from these contracts (docs/security.md).',
      },
    },
    channels: sorted(parts.channels),
    operations: sorted(parts.operations),
    components: {
      schemas: HEADERS,
      messages: sorted(parts.messages),
    },
  };
}
