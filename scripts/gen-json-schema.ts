// Writes the JSON Schema of the contracts (libs/contracts, zod 4 `z.toJSONSchema`) to
// sdk/python/schema/, from which the Python SDK's pydantic models are generated
// (`npm run gen:python-models`). Two documents, because a message has two shapes:
// - outgoing.json: what a client sends (command and query data, the heartbeat), as accepted on
//   input, so fields with a default are optional;
// - incoming.json: what a client receives (replies, inbox assignments, event envelopes and
//   event data), as produced, with every defaulted field present. Unknown fields are allowed
//   there, so a client keeps working when a service adds a field;
// - messages.json: each command and query (subject, schema version, data and reply classes)
//   and the stream and subject names an agent uses.
//
//   node -r @swc-node/register scripts/gen-json-schema.ts            write the files
//   node -r @swc-node/register scripts/gen-json-schema.ts --check    exit 1 if they are stale
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import * as contracts from '@baton/contracts';

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'sdk/python/schema');

type Role = 'outgoing' | 'incoming';

function isDefinition(value: unknown): value is contracts.MessageDefinition {
  const v = value as Partial<contracts.MessageDefinition> | null;
  return typeof v === 'object' && v !== null && (v.kind === 'command' || v.kind === 'query') && typeof v.subject === 'string' && typeof v.reply === 'object';
}

function isEventSchemaMap(name: string, value: unknown): value is Record<string, z.ZodType> {
  return name.endsWith('EventSchemas') && typeof value === 'object' && value !== null && Object.values(value).every((s) => s instanceof z.ZodType);
}

/** Parts shared by several outgoing messages, each a class of its own instead of one copy per use (by the name of the class). */
const OUTGOING_PARTS: Readonly<Record<string, z.ZodType>> = {
  AgentReport: contracts.AgentReportV1,
  ArtifactInput: contracts.ArtifactInput,
  RetryBackoff: contracts.RetryBackoff,
  TaskChecks: contracts.TaskChecks,
  TaskPriority: contracts.TaskPriority,
  TaskRequirement: contracts.TaskRequirement,
};

/** The id formats, a type each in both documents instead of a pattern repeated at every id field. */
const ID_FORMATS: Readonly<Record<string, z.ZodType>> = { NameId: contracts.NameId, RecordId: contracts.RecordId };

/**
 * The named schemas of each role, by the name the Python class gets. Shared parts come first, so
 * a schema that is both a part and a reply (HandoffVerdict, the reply of ValidateHandoff) keeps
 * the part's name and the reply refers to it.
 */
function collect(): Record<Role, Map<string, z.ZodType>> {
  const out: Record<Role, Map<string, z.ZodType>> = { outgoing: new Map(), incoming: new Map() };
  const entries = Object.entries(contracts).sort(([a], [b]) => a.localeCompare(b));
  for (const [name, schema] of Object.entries(ID_FORMATS)) for (const role of Object.values(out)) role.set(name, schema);
  for (const [name, schema] of Object.entries(OUTGOING_PARTS)) out.outgoing.set(name, schema);
  for (const [name, value] of entries) {
    // Exported objects, views and parts (not the versioned event data, named by event type below).
    if ((value instanceof z.ZodObject || value instanceof z.ZodEnum) && /^[A-Z]/.test(name) && !/V\d+$/.test(name) && !name.endsWith('Schema')) out.incoming.set(name, value);
    // The enums keep their names in what a client sends too (those no message uses are dropped, see documentFor).
    if (value instanceof z.ZodEnum && /^[A-Z]/.test(name)) out.outgoing.set(name, value);
  }
  for (const [name, value] of entries) {
    if (isDefinition(value)) {
      const data = value.versions[value.latestVersion];
      if (data instanceof z.ZodType) out.outgoing.set(`${name}Data`, data);
      out.incoming.set(`${name}Reply`, value.reply);
    } else if (isEventSchemaMap(name, value)) {
      for (const [type, schema] of Object.entries(value)) out.incoming.set(type, schema);
    }
  }
  // Plain messages that are not command data or replies.
  out.outgoing.set('AgentHeartbeat', contracts.AgentHeartbeat);
  out.incoming.set('AgentInboxAssignment', contracts.AgentInboxAssignment);
  out.incoming.set('RecordedEvent', contracts.RecordedEventSchema);
  out.incoming.set('ErrorBody', z.object({ code: z.enum(contracts.ErrorCodes), message: z.string(), details: z.unknown().optional() }));
  return out;
}

/** Drops `additionalProperties: false` from every object (incoming messages tolerate new fields). */
function openObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(openObjects);
  if (typeof node !== 'object' || node === null) return;
  const o = node as Record<string, unknown>;
  if (o['additionalProperties'] === false) delete o['additionalProperties'];
  Object.values(o).forEach(openObjects);
}

/** The definitions some `$ref` in `node` names. */
function referencedIds(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => referencedIds(n, into));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') into.add(value.replace('#/$defs/', ''));
      else referencedIds(value, into);
    }
  }
  return into;
}

function documentFor(role: Role, schemas: Map<string, z.ZodType>): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  const aliases: Record<string, unknown> = {};
  for (const [name, schema] of schemas) {
    const id = idOf.get(schema);
    if (id === undefined) {
      idOf.set(schema, name);
      registry.add(schema, { id: name });
    } else if (id !== name) {
      // One schema under two names (ClaimTask's reply is the inbox assignment): the second name refers to the first.
      aliases[name] = { $ref: `#/$defs/${id}` };
    }
  }
  const { schemas: defs } = z.toJSONSchema(registry, {
    io: role === 'outgoing' ? 'input' : 'output',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `#/$defs/${id}`,
  });
  const all: Record<string, unknown> = {};
  for (const [id, def] of Object.entries({ ...defs, ...aliases }).sort(([a], [b]) => a.localeCompare(b))) {
    const { $schema: _schema, $id: _id, ...rest } = def as Record<string, unknown>;
    all[id] = rest;
  }
  if (role === 'outgoing') {
    const used = referencedIds(all);
    for (const [id, def] of Object.entries(all)) if (Array.isArray((def as { enum?: unknown }).enum) && !used.has(id)) delete all[id];
  }
  if (role === 'incoming') openObjects(all);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $comment: 'Generated from libs/contracts by scripts/gen-json-schema.ts; do not edit.',
    title: role === 'outgoing' ? 'BatonOutgoing' : 'BatonIncoming',
    // The shared parts, which messages extend (`.extend()`): the SDK's models of those messages subclass them.
    ...(role === 'outgoing' ? { 'x-parts': Object.keys(OUTGOING_PARTS) } : {}),
    $defs: all,
  };
}

/** The commands and queries, and the names of streams and subjects, for clients in other languages. */
function messagesDocument(): Record<string, unknown> {
  const definitions: [string, contracts.MessageDefinition][] = [];
  for (const [name, value] of Object.entries(contracts) as [string, unknown][]) if (isDefinition(value)) definitions.push([name, value]);
  const messages = definitions
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, def]) => ({
      name,
      kind: def.kind,
      subject: def.subject,
      // Commands an agent sends about itself are also served on `baton.agent.<agentId>.cmd.<name>`
      // (`baton.agent.*.cmd.<name>` here), the subjects an agent's NATS credentials may publish on.
      agentSubject: (def as { agentSubject?: string }).agentSubject ?? null,
      schemaVersion: def.latestVersion,
      data: `${name}Data`,
      reply: `${name}Reply`,
    }));
  const subjects = contracts.Subjects as Readonly<Record<string, unknown>>;
  const agentReplies = subjects['agentReplies'];
  return {
    $comment: 'Generated from libs/contracts by scripts/gen-json-schema.ts; do not edit.',
    constants: {
      AGENT_INBOX_STREAM: contracts.AGENT_INBOX_STREAM,
      EVENTS_STREAM: contracts.EVENTS_STREAM,
      ALL_EVENTS_SUBJECT: contracts.Subjects.allEvents,
      AGENT_INBOX_SUBJECT: contracts.Subjects.agentInbox('{agentId}'),
      AGENT_HEARTBEAT_SUBJECT: contracts.Subjects.agentHeartbeat('{agentId}'),
      AGENT_INBOX_CONSUMER: contracts.agentInboxConsumer('{agentId}').replace('_agentId_', '{agentId}'),
      MAX_MESSAGE_BYTES: contracts.MAX_MESSAGE_BYTES,
      // Where an agent's replies go (NATS inbox prefix): the only reply subjects its credentials may subscribe to.
      ...(typeof agentReplies === 'function' ? { AGENT_REPLIES_PREFIX: (agentReplies as (id: string) => string)('{agentId}') } : {}),
    },
    messages,
  };
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const collected = collect();
  const stale: string[] = [];
  await mkdir(outDir, { recursive: true });
  const documents = { outgoing: documentFor('outgoing', collected.outgoing), incoming: documentFor('incoming', collected.incoming), messages: messagesDocument() };
  for (const [name, document] of Object.entries(documents)) {
    const file = path.join(outDir, `${name}.json`);
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (check) {
      const current = await readFile(file, 'utf8').catch(() => '');
      if (current !== text) stale.push(path.relative(root, file));
    } else {
      await writeFile(file, text);
    }
  }
  if (stale.length > 0) {
    process.stderr.write(`stale: ${stale.join(', ')}; run npm run gen:python-models\n`);
    process.exit(1);
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
