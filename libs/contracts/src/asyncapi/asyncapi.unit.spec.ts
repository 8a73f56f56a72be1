import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Parser } from '@asyncapi/parser';
import * as contracts from '../index';
import { ErrorCodes } from '../errors';
import { registeredMessages } from '../messages';
import { eventSubjectFor, Subjects } from '../subjects';
import { buildAsyncApiDocument, eventCatalog, renderAsyncApiYaml } from './index';

const root = path.resolve(__dirname, '../../../..');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

type Obj = Record<string, unknown>;
const doc = buildAsyncApiDocument({ version });
const channels = doc.channels as Record<string, Obj>;
const operations = doc.operations as Record<string, Obj>;
const messages = (doc['components'] as { messages: Record<string, Obj> }).messages;

function channelAt(address: string): [string, Obj] {
  const hit = Object.entries(channels).find(([, c]) => c['address'] === address);
  if (!hit) throw new Error(`no channel with address ${address}`);
  return hit;
}

/** The component a `$ref` names, e.g. `#/components/messages/ErrorReply`. */
function deref(value: unknown): Obj {
  const ref = (value as { $ref: string }).$ref;
  let node: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Obj)[part];
  return node as Obj;
}

describe('the AsyncAPI document', () => {
  it('is valid AsyncAPI 3.0: the official parser reports no error and no warning', async () => {
    const { document, diagnostics } = await new Parser().parse(renderAsyncApiYaml(doc));
    const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} ${d.message} at ${d.path.join('/')}`);
    expect(problems).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(document?.channels().length).toBe(Object.keys(channels).length);
  });

  it('docs/asyncapi.yaml is what the contracts generate now (run npm run gen:asyncapi when this fails)', () => {
    expect(readFileSync(path.join(root, 'docs/asyncapi.yaml'), 'utf8')).toBe(renderAsyncApiYaml(doc));
  });

  it('has a request/reply operation for every command and query, with its queue group, its reply and the error reply', () => {
    const defs = registeredMessages();
    expect(defs.length).toBeGreaterThan(40);
    for (const def of defs) {
      const [id, channel] = channelAt(def.subject);
      const op = operations[id]!;
      expect(op).toMatchObject({ action: 'receive', bindings: { nats: { queue: Subjects.queueGroup(def.service), bindingVersion: '0.1.0' } } });
      const request = deref(channel['messages'] && (channel['messages'] as Obj)['request']);
      const payload = request['payload'] as { properties: Obj; required: string[] };
      expect(payload.required).toEqual(def.kind === 'command' ? ['commandId', 'data'] : ['data']);
      expect(Object.keys(request['headers'] ? deref(request['headers'])['properties'] as Obj : {})).toContain('traceparent');
      const reply = op['reply'] as { channel: unknown; messages: unknown[] };
      const replyChannel = deref(reply.channel);
      expect(replyChannel['address']).toBeNull();
      const [ok, error] = reply.messages.map((m) => deref(deref(m)));
      expect((ok!['payload'] as { properties: Obj }).properties['ok']).toEqual({ const: true });
      expect(error).toBe(messages['ErrorReply']);
    }
  });

  it('a command an agent sends about itself also has its agent-scoped channel, where the agent field may be left out', () => {
    const agentCommands = registeredMessages().filter((d) => d.agentField !== undefined);
    expect(agentCommands.map((d) => d.name)).toEqual(expect.arrayContaining(['register-agent', 'report-progress', 'complete-task', 'fail-task']));
    for (const def of agentCommands) {
      const agentField = def.agentField!;
      const [id, channel] = channelAt(Subjects.agentCommand('{agentId}', def.name));
      expect(operations[id]).toMatchObject({ action: 'receive', bindings: { nats: { queue: Subjects.queueGroup(def.service) } } });
      const data = (deref((channel['messages'] as Obj)['request'])['payload'] as { properties: { data: { required?: string[] } } }).properties.data;
      // Otherwise the same data as on the service subject.
      const [, plain] = channelAt(def.subject);
      const plainData = (deref((plain['messages'] as Obj)['request'])['payload'] as { properties: { data: { required?: string[] } } }).properties.data;
      if (!agentField.includes('.')) expect(data.required ?? []).toEqual((plainData.required ?? []).filter((r) => r !== agentField));
    }
  });

  it('the error reply lists every error code', () => {
    const payload = messages['ErrorReply']!['payload'] as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(payload.properties.error.properties.code.enum).toEqual([...ErrorCodes]);
  });

  it('has a channel for every domain event, in the events stream, with the event headers and its data schema', () => {
    const catalog = eventCatalog();
    expect([...new Set(catalog.map((e) => e.category))]).toEqual(expect.arrayContaining(['agent', 'task', 'handoff', 'escalation', 'conflict', 'workflow', 'run', 'notification', 'health']));
    for (const event of catalog) {
      const [id, channel] = channelAt(eventSubjectFor(event.category, event.type));
      expect(channel['x-jetstream']).toEqual({ stream: 'BATON_EVENTS', streamSubjects: ['baton.evt.>'] });
      expect(operations[id]).toMatchObject({ action: 'send' });
      const message = deref((channel['messages'] as Obj)[event.type]);
      expect(Object.keys(deref(message['headers'])['properties'] as Obj)).toEqual(
        expect.arrayContaining(['Nats-Msg-Id', 'Baton-Schema-Version', 'Baton-Event-Type', 'traceparent']),
      );
      const payload = message['payload'] as { properties: { type: unknown; data: Obj } };
      expect(payload.properties.type).toEqual({ type: 'string', const: event.type });
      if (event.schema !== null) expect(payload.properties.data['type']).toBe('object');
    }
    // The scheduler's own additions to the contract's task events are in the document.
    const failed = deref((channelAt('baton.evt.task.failed')[1]['messages'] as Obj)['TaskFailed'])['payload'] as { properties: { data: { properties: Obj } } };
    expect(Object.keys(failed.properties.data.properties)).toEqual(expect.arrayContaining(['retryAt', 'attempt']));
  });

  it('catalogues every event schema map of the contracts (`*EventSchemas`), with the same schemas', () => {
    const catalogued = new Map(eventCatalog().map((e) => [e.type, e.schema]));
    const maps = Object.entries(contracts).filter(([name]) => /EventSchemas$/.test(name));
    expect(maps.length).toBeGreaterThanOrEqual(6);
    for (const [name, schemas] of maps) {
      for (const [type, schema] of Object.entries(schemas as Record<string, unknown>)) {
        expect([name, type, catalogued.has(type)]).toEqual([name, type, true]);
        // The task map is the contract's; the scheduler writes extended TaskCreated/TaskFailed, which the catalogue holds instead.
        if (name !== 'TaskEventSchemas') expect(catalogued.get(type)).toBe(schema);
      }
    }
    for (const type of contracts.RunEventTypes) expect(catalogued.has(type)).toBe(true);
  });

  it('has the agent inbox (JetStream), the heartbeat (queue group of the registry) and the dead letters', () => {
    const [inboxId, inbox] = channelAt('baton.agent.{agentId}.inbox');
    expect(inbox['x-jetstream']).toMatchObject({ stream: 'BATON_AGENT_INBOX', streamSubjects: ['baton.agent.*.inbox'] });
    expect(operations[inboxId]).toMatchObject({ action: 'send' });
    const [heartbeatId] = channelAt('baton.agent.{agentId}.heartbeat');
    expect(operations[heartbeatId]).toMatchObject({ action: 'receive', bindings: { nats: { queue: 'baton-agent-registry', bindingVersion: '0.1.0' } } });
    const [, dlq] = channelAt('baton.dlq.{consumer}');
    expect(dlq['x-jetstream']).toMatchObject({ stream: 'BATON_DLQ' });
  });
});
