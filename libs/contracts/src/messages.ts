import { z } from 'zod';
import { ActorSchema } from './envelope';
import { BatonError, ValidationError } from './errors';
import type { ServiceName } from './subjects';
import { Subjects } from './subjects';

/** Largest request body any Baton service accepts (bytes). Larger ones get PAYLOAD_TOO_LARGE. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * A command or query as it travels on the wire: plain JSON, no framework envelope, so an
 * agent with nothing but a NATS client can send it.
 *
 * ```json
 * { "commandId": "c-1", "schemaVersion": 1, "data": { ... } }
 * ```
 */
export const CommandEnvelopeSchema = z.strictObject({
  commandId: z.string().min(1).max(200),
  schemaVersion: z.number().int().positive().optional(),
  correlationId: z.string().min(1).max(200).optional(),
  causationId: z.string().min(1).max(200).optional(),
  actor: ActorSchema.optional(),
  data: z.unknown(),
});

export const QueryEnvelopeSchema = z.strictObject({
  schemaVersion: z.number().int().positive().optional(),
  data: z.unknown(),
});

export interface CommandEnvelope<T = unknown> {
  readonly commandId: string;
  readonly schemaVersion: number;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: z.infer<typeof ActorSchema>;
  readonly data: T;
}

export interface QueryEnvelope<T = unknown> {
  readonly schemaVersion: number;
  readonly data: T;
}

/**
 * One command or query: its subject, the schema of each version of its `data`, upcasters
 * from old versions to the latest, and the schema of its reply data.
 */
export interface MessageDefinition<TData = unknown, TReply = unknown> {
  readonly kind: 'command' | 'query';
  readonly service: ServiceName;
  readonly name: string;
  readonly subject: string;
  readonly latestVersion: number;
  readonly versions: Readonly<Record<number, z.ZodType>>;
  /** `upcasters[v]` turns version v data into version v + 1 data. */
  readonly upcasters: Readonly<Record<number, (data: unknown) => unknown>>;
  readonly reply: z.ZodType;
  /**
   * Set on the commands an agent sends about itself: the path of the `data` field naming the
   * agent (`agentId`, `requirement.agentId`). Such a command is also served on
   * {@link agentSubject}, where the agent's id comes from the subject the NATS server let the
   * agent publish on, never from the payload (docs/security.md).
   */
  readonly agentField?: string;
  /** `baton.agent.*.cmd.<name>`: the agent-scoped subject pattern of an agent command. */
  readonly agentSubject?: string;
  /** Phantom fields carrying the data and reply types; never set. */
  readonly __data?: TData;
  readonly __reply?: TReply;
}

/**
 * The union of `{ type, data }` events that a map of event schemas by type declares, so an
 * aggregate's event union is written once, as its schemas.
 *
 * @example
 * export const AgentEventSchemas = { AgentRegistered: AgentRegisteredV1, AgentRemoved: AgentRemovedV1 } as const;
 * export type AgentEvent = EventsOf<typeof AgentEventSchemas>; // { type: 'AgentRegistered'; data: ... } | ...
 */
export type EventsOf<S extends Readonly<Record<string, z.ZodType>>> = {
  readonly [K in keyof S & string]: { readonly type: K; readonly data: z.infer<S[K]> };
}[keyof S & string];

export type DataOf<D> = D extends MessageDefinition<infer T, unknown> ? T : never;
export type ReplyOf<D> = D extends MessageDefinition<unknown, infer R> ? R : never;

interface DefineOptions<S extends z.ZodType, R extends z.ZodType> {
  readonly service: ServiceName;
  /** dash-case name, the last subject token: `register-agent`. */
  readonly name: string;
  /** Schema of the latest version of `data`. */
  readonly schema: S;
  readonly reply: R;
  /** Older versions: schema plus an upcaster to the next version. */
  readonly older?: Readonly<Record<number, { schema: z.ZodType; upcast: (data: unknown) => unknown }>>;
  /** Commands only: an agent sends it about itself; the path of the field naming the agent (see {@link MessageDefinition.agentField}). */
  readonly agent?: string;
}

/** Every definition made by {@link defineCommand}, {@link defineQuery} and {@link messagesOf}, in declaration order. */
const declared: MessageDefinition[] = [];

/**
 * Every command and query declared in the contracts (once their modules are loaded, as importing
 * `@baton/contracts` does): what the AsyncAPI document and the permission lists are generated from.
 *
 * @example
 * registeredMessages().filter((d) => d.service === 'scheduler').map((d) => d.subject)
 */
export function registeredMessages(): readonly MessageDefinition[] {
  return [...declared];
}

function define<S extends z.ZodType, R extends z.ZodType>(
  kind: 'command' | 'query',
  opts: DefineOptions<S, R>,
): MessageDefinition<z.infer<S>, z.infer<R>> {
  const olderVersions = Object.keys(opts.older ?? {}).map(Number);
  const latestVersion = olderVersions.length === 0 ? 1 : Math.max(...olderVersions) + 1;
  const versions: Record<number, z.ZodType> = { [latestVersion]: opts.schema };
  const upcasters: Record<number, (data: unknown) => unknown> = {};
  for (const [v, o] of Object.entries(opts.older ?? {})) {
    versions[Number(v)] = o.schema;
    upcasters[Number(v)] = o.upcast;
  }
  const subject = kind === 'command' ? Subjects.command(opts.service, opts.name) : Subjects.query(opts.service, opts.name);
  const agent = kind === 'command' && opts.agent !== undefined ? { agentField: opts.agent, agentSubject: Subjects.agentCommand('*', opts.name) } : {};
  const def: MessageDefinition<z.infer<S>, z.infer<R>> = { kind, service: opts.service, name: opts.name, subject, latestVersion, versions, upcasters, reply: opts.reply, ...agent };
  declared.push(def);
  return def;
}

/** Declares a command: `baton.cmd.<service>.<name>`. */
export function defineCommand<S extends z.ZodType, R extends z.ZodType>(opts: DefineOptions<S, R>) {
  return define('command', opts);
}

/** Declares a query: `baton.qry.<service>.<name>`. */
export function defineQuery<S extends z.ZodType, R extends z.ZodType>(opts: DefineOptions<S, R>) {
  return define('query', opts);
}

/**
 * The commands and queries of one service, declared without repeating its name: one line a
 * message, its data schema and reply schema named beside it. Older versions go in `older`, as
 * with {@link defineCommand}.
 *
 * @example
 * const agentRegistryMessages = messagesOf('agent-registry');
 * export const RemoveAgent = agentRegistryMessages.command('remove-agent', RemoveAgentV1, AgentCommandReply);
 * export const GetAgent = agentRegistryMessages.query('get-agent', GetAgentV1, AgentDetailView);
 */
export function messagesOf(service: ServiceName) {
  const options = <S extends z.ZodType, R extends z.ZodType>(name: string, schema: S, reply: R, older: DefineOptions<S, R>['older']) => ({
    service,
    name,
    schema,
    reply,
    ...(older ? { older } : {}),
  });
  return {
    /** `baton.cmd.<service>.<name>`. */
    command: <S extends z.ZodType, R extends z.ZodType>(name: string, schema: S, reply: R, older?: DefineOptions<S, R>['older']) =>
      define('command', options(name, schema, reply, older)),
    /** A command an agent sends about itself: `baton.cmd.<service>.<name>` and `baton.agent.<agentId>.cmd.<name>`; `agentField` names the agent in `data`. */
    agentCommand: <S extends z.ZodType, R extends z.ZodType>(name: string, agentField: string, schema: S, reply: R, older?: DefineOptions<S, R>['older']) =>
      define('command', { ...options(name, schema, reply, older), agent: agentField }),
    /** `baton.qry.<service>.<name>`. */
    query: <S extends z.ZodType, R extends z.ZodType>(name: string, schema: S, reply: R, older?: DefineOptions<S, R>['older']) =>
      define('query', options(name, schema, reply, older)),
  };
}

/**
 * The commands agents send about themselves (those declared with an agent field), each served
 * on `baton.agent.<agentId>.cmd.<name>` too: what agents' NATS permissions are generated from.
 */
export function agentCommands(): readonly MessageDefinition[] {
  return declared.filter((d) => d.agentSubject !== undefined);
}

/** The value at a dotted path of `data` (`requirement.agentId`), or undefined. */
export function valueAtPath(data: unknown, path: string): unknown {
  let at: unknown = data;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * Binds an agent command's data to the agent the subject names: a missing agent field is set to
 * `agentId`; one naming another agent is FORBIDDEN (`details.reason: 'AGENT_MISMATCH'`), so an
 * agent can act only as itself. Returns the (possibly completed) data.
 */
export function bindAgent(def: MessageDefinition, data: unknown, agentId: string): unknown {
  if (def.agentField === undefined) throw new BatonError('FORBIDDEN', `${def.subject} is not an agent command`, { reason: 'NOT_AGENT_COMMAND' });
  const named = valueAtPath(data, def.agentField);
  if (named === undefined) {
    const keys = def.agentField.split('.');
    let at = data as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) {
      if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    at[keys[keys.length - 1] as string] = agentId;
    return data;
  }
  if (named !== agentId) {
    throw new BatonError('FORBIDDEN', `agent ${agentId} cannot send ${def.name} as agent ${String(named)}: ${def.agentField} must name the sender`, {
      reason: 'AGENT_MISMATCH',
      agentId,
      field: def.agentField,
      named,
    });
  }
  return data;
}

function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

function describeIssues(prefix: string, issues: { path: string; message: string }[]): string {
  return `${prefix}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
}

/** Decodes bytes to JSON with the size and syntax checks every boundary needs. */
export function decodeJson(raw: Uint8Array | string, maxBytes = MAX_MESSAGE_BYTES): unknown {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > maxBytes) {
    throw new BatonError('PAYLOAD_TOO_LARGE', `message is ${size} bytes; the limit is ${maxBytes} bytes`, { size, limit: maxBytes });
  }
  const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (text.trim() === '') throw new BatonError('INVALID_JSON', 'message body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BatonError('INVALID_JSON', `message body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseData(def: MessageDefinition, version: number, data: unknown): unknown {
  const schema = def.versions[version];
  if (!schema) {
    const known = Object.keys(def.versions).join(', ');
    throw new BatonError(
      'UNKNOWN_SCHEMA_VERSION',
      `${def.subject} has no schema version ${version}; known versions: ${known}`,
      { schemaVersion: version, known: Object.keys(def.versions).map(Number) },
    );
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(describeIssues(`invalid ${def.subject} data`, issues), { issues });
  }
  let value: unknown = parsed.data;
  for (let v = version; v < def.latestVersion; v++) {
    const up = def.upcasters[v];
    if (!up) throw new BatonError('INTERNAL', `no upcaster from version ${v} of ${def.subject}`);
    value = up(value);
  }
  return value;
}

/** The envelope of `raw` checked against `schema`, and its data checked and upcast to the latest version. */
function parseEnvelope<D extends MessageDefinition, E extends { schemaVersion?: number | undefined; data: unknown }>(
  def: D,
  raw: Uint8Array | string,
  kind: 'command' | 'query',
  schema: z.ZodType<E>,
): E & { schemaVersion: number; data: DataOf<D> } {
  const env = schema.safeParse(decodeJson(raw));
  if (!env.success) {
    const issues = zodIssues(env.error);
    throw new ValidationError(describeIssues(`invalid ${def.subject} ${kind} envelope`, issues), { issues });
  }
  const version = env.data.schemaVersion ?? def.latestVersion;
  return { ...env.data, schemaVersion: def.latestVersion, data: parseData(def, version, env.data.data) as DataOf<D> };
}

/**
 * Validates a raw command against its definition: size, JSON, envelope, schema version,
 * then `data`; old versions are upcast to the latest. Throws a BatonError with a code.
 */
export function parseCommand<D extends MessageDefinition>(def: D, raw: Uint8Array | string): CommandEnvelope<DataOf<D>> {
  return parseEnvelope(def, raw, 'command', CommandEnvelopeSchema);
}

/** Validates a raw query like {@link parseCommand}, without the command id. */
export function parseQuery<D extends MessageDefinition>(def: D, raw: Uint8Array | string): QueryEnvelope<DataOf<D>> {
  const { schemaVersion, data } = parseEnvelope(def, raw, 'query', QueryEnvelopeSchema);
  return { schemaVersion, data };
}

/** Validates a reply's data before it is sent, so a service never answers with a shape it did not declare. */
export function parseReplyData<D extends MessageDefinition>(def: D, data: unknown): ReplyOf<D> {
  const parsed = def.reply.safeParse(data);
  if (!parsed.success) {
    throw new BatonError('INTERNAL', `reply to ${def.subject} does not match its schema`, { issues: zodIssues(parsed.error) });
  }
  return parsed.data as ReplyOf<D>;
}
