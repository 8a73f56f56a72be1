import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { CommandClient, TaskFailure, errorCodeOf } from '@baton/agent-sdk';
import { AwaitAssignment, CancelTask, ClaimTask, GetAgent, GetArtifact, GetTask, ListAgents, ListTasks, PutArtifact, SubmitTask, type TaskView } from '@baton/contracts';
import { testNatsAuth, uniqueId, waitFor } from '@baton/testing';
import { E2eStack } from './support/e2e-stack';
import { repoRoot } from './support/stack';

// The AsyncAPI document against the wire: the services and the TypeScript SDK do a stretch of
// real work (register, heartbeat, tasks through the inbox, progress, blocked, a rejected handoff
// reworked, a failure, a cancellation, artifacts, error replies) while a `>` subscription records
// every message. Each `baton.*` subject must be a channel of docs/asyncapi.yaml, each body must
// match that channel's message schema, each header must be declared, and each reply must match
// the operation's ok or error reply.

type Obj = Record<string, unknown>;

const doc = parse(readFileSync(path.join(repoRoot, 'docs/asyncapi.yaml'), 'utf8')) as Obj;

function deref(node: unknown): Obj {
  let value = node as Obj;
  while (typeof value['$ref'] === 'string') {
    let target: unknown = doc;
    for (const part of (value['$ref'] as string).replace(/^#\//, '').split('/')) target = (target as Obj)[part];
    value = target as Obj;
  }
  return value;
}

interface Channel {
  readonly id: string;
  readonly pattern: RegExp;
  readonly messages: Obj[];
}

const channels: Channel[] = Object.entries(doc['channels'] as Record<string, Obj>)
  .filter(([, c]) => typeof c['address'] === 'string')
  .map(([id, c]) => ({
    id,
    pattern: new RegExp(`^${(c['address'] as string).replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^.]+')}$`),
    messages: Object.values(c['messages'] as Obj).map(deref),
  }));

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<Obj, ValidateFunction>();
function validatorOf(schema: Obj): ValidateFunction {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = ajv.compile(schema)));
  return v;
}

/** Whether `body` matches one of `messages`; the errors of each when none does. */
function matchMessage(messages: readonly Obj[], body: unknown): string | undefined {
  const errors: string[] = [];
  for (const m of messages) {
    const validate = validatorOf(deref(m['payload']));
    if (validate(body)) return undefined;
    errors.push(`${String(m['name'])}: ${ajv.errorsText(validate.errors)}`);
  }
  return errors.join(' | ');
}

/** The reply messages of the operation on a channel, when it is request/reply. */
function replyMessagesOf(channelId: string): Obj[] | undefined {
  const op = (doc['operations'] as Record<string, Obj>)[channelId];
  const reply = op?.['reply'] as { messages: unknown[] } | undefined;
  return reply?.messages.map(deref);
}

interface Seen {
  readonly subject: string;
  readonly reply: string;
  readonly headers: string[];
  readonly body: string;
}

describe('the AsyncAPI document against the wire (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_asyncapi_wire' });
  let tap: NatsConnection;
  let client: CommandClient;
  const seen: Seen[] = [];

  beforeAll(async () => {
    await stack.start();
    tap = stack.track(await connect({ servers: stack.natsUrl, ...testNatsAuth(), name: 'asyncapi-tap' }), { stop: (t) => t.close() });
    const tapSub = tap.subscribe('>', {
      callback: (err, m: Msg) => {
        if (err) return;
        seen.push({ subject: m.subject, reply: m.reply ?? '', headers: m.headers ? [...m.headers.keys()] : [], body: m.string() });
      },
    });
    stack.track(tapSub, { stop: (sub) => sub.unsubscribe() });
    await tap.flush();
    client = new CommandClient(stack.nc, { retryForMs: 20_000 });
    // Every event relayed (not only those some consumer reads): the tap must see every subject a deployment may use.
    // Tracing on (spans to the local Jaeger's OTLP port, or TEST_OTLP_URL), so the trace headers a traced deployment
    // sends are on the wire too: the inbox's `traceparent` once went out undeclared, seen only with tracing on.
    const relayAll = { BATON_RELAY_PUBLISH: 'all', OTEL_EXPORTER_OTLP_ENDPOINT: process.env['TEST_OTLP_URL'] ?? 'http://127.0.0.1:4318' };
    await stack.service('agent-registry', { ...relayAll, HEARTBEAT_WINDOW_MS: '10000' });
    await stack.service('handoff-validator', relayAll);
    await stack.service('escalation', relayAll);
    await stack.scheduler(uniqueId('e2e-wire'), { ...relayAll, SCHEDULER_DISPATCH_POLL_MS: '300' });
  });

  afterAll(() => stack.stop());

  const taskIn = (taskId: string, status: TaskView['status'] | readonly TaskView['status'][]): Promise<TaskView> =>
    waitFor(
      async () => {
        const t = await client.query(GetTask, { taskId });
        return (typeof status === 'string' ? [status] : status).includes(t.status) ? t : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `task ${taskId} ${String(status)}` },
    );

  it('every subject used is a channel; bodies, headers and replies match the document', async () => {
    const agentId = uniqueId('wire').replace(/[^A-Za-z0-9_-]/g, '_');
    const capability = uniqueId('cap');
    // Its tasks come by the inbox (what the document says of inbox messages is checked on them); await-assignment is sent once below.
    const agent = await stack.agent({ agentId, heartbeatIntervalMs: 300, inboxAckWaitMs: 3000, awaitAssignments: false });
    await agent.register({ role: 'coder', capabilities: [capability], maxConcurrency: 2 });
    await agent.register({ role: 'coder', capabilities: [capability], maxConcurrency: 2 }); // CONFLICT, then update-agent
    expect(await agent.command(AwaitAssignment, { agentId, waitMs: 0 })).toEqual({ assignment: null });
    await agent.start(async (task, ctx) => {
      if (task.action === 'fail') throw new TaskFailure('cannot do it', { code: 'UNSUPPORTED' });
      if (task.action === 'wait') {
        // Report until the scheduler refuses (the task is cancelled): ILLEGAL_TRANSITION is an error reply to record too.
        for (;;) {
          await delay(200);
          try {
            await ctx.progress(10, 'waiting');
          } catch {
            return {};
          }
        }
      }
      await ctx.progress(40, 'half way', 120);
      await ctx.blocked('waiting for a review');
      await ctx.unblocked();
      const round = (task.inputs['rework'] as { round?: number } | undefined)?.round ?? 0;
      return { coverage: round === 0 ? 50 : 90 };
    });

    const gated = await client.command(SubmitTask, { action: 'implement', requirement: { capabilities: [capability] }, priority: 'P1', inputs: { checks: { qualityGate: ['coverage >= 80%'] } } });
    const failing = await client.command(SubmitTask, { action: 'fail', requirement: { capabilities: [capability] }, priority: 'P2', inputs: {} });
    expect(await taskIn(gated.taskId, 'completed')).toMatchObject({ outputs: { coverage: 90 } });
    await taskIn(failing.taskId, 'failed');

    const waiting = await client.command(SubmitTask, { action: 'wait', requirement: { capabilities: [capability] }, priority: 'P1', inputs: {} });
    // Held by the agent: assigned, or accepted once its first progress report (200 ms in) is
    // applied. Created assigned, it may be accepted before a poll ever sees it assigned.
    await taskIn(waiting.taskId, ['assigned', 'accepted']);
    await client.command(CancelTask, { taskId: waiting.taskId, reason: 'not needed' });
    await taskIn(waiting.taskId, 'cancelled');

    const ref = await client.command(PutArtifact, { name: 'notes.md', content: '# notes\n', encoding: 'utf8' });
    await client.query(GetArtifact, { hash: ref.hash });
    await client.query(GetAgent, { agentId });
    await client.query(ListAgents, {});
    await client.query(ListTasks, { agentId, limit: 10 });
    // Error replies are part of the contract too.
    expect(await client.command(ClaimTask, { agentId }).catch((err: unknown) => errorCodeOf(err))).toBe('NOT_FOUND');
    expect(await client.query(GetTask, { taskId: 'no-such-task' }).catch((err: unknown) => errorCodeOf(err))).toBe('NOT_FOUND');

    // Every event of the gated task (created … completed, and the handoff's) has gone out.
    await waitFor(() => seen.some((s) => s.subject === 'baton.evt.handoff.accepted') || undefined, { timeoutMs: 30_000, intervalMs: 100, what: 'HandoffAccepted relayed' });
    await waitFor(() => seen.some((s) => s.subject === 'baton.evt.task.cancelled') || undefined, { timeoutMs: 30_000, intervalMs: 100, what: 'TaskCancelled relayed' });
    await tap.flush();

    const baton = seen.filter((s) => s.subject.startsWith('baton.'));
    const problems: string[] = [];
    const replyTo = new Map<string, string>();
    for (const s of baton) {
      const channel = channels.find((c) => c.pattern.test(s.subject));
      if (!channel) {
        problems.push(`${s.subject}: no channel`);
        continue;
      }
      // JetStream publishes and deliveries carry a reply subject too (the PubAck, the ack): only request/reply operations are ours.
      if (s.reply !== '' && replyMessagesOf(channel.id) !== undefined) replyTo.set(s.reply, channel.id);
      const message = channel.messages[0]!;
      const declared = message['headers'] === undefined ? [] : Object.keys(deref(message['headers'])['properties'] as Obj);
      for (const h of s.headers) if (!declared.includes(h)) problems.push(`${s.subject}: header ${h} is not in the document`);
      const mismatch = matchMessage(channel.messages, s.body === '' ? undefined : (JSON.parse(s.body) as unknown));
      if (mismatch !== undefined) problems.push(`${s.subject}: body does not match: ${mismatch}`);
    }
    let replies = 0;
    for (const s of seen) {
      const channelId = replyTo.get(s.subject);
      if (channelId === undefined || s.body === '') continue;
      replies++;
      const mismatch = matchMessage(replyMessagesOf(channelId) ?? [], JSON.parse(s.body) as unknown);
      if (mismatch !== undefined) problems.push(`reply to ${channelId}: ${mismatch}`);
    }
    expect(problems).toEqual([]);
    // The services traced: the inbox deliveries carried the task's trace, and were checked above.
    expect(baton.some((s) => /^baton\.agent\.[^.]+\.inbox$/.test(s.subject) && s.headers.includes('traceparent'))).toBe(true);

    // The recording covered the kinds of subject the document describes.
    const kinds = new Set(baton.map((s) => s.subject.split('.').slice(0, 2).join('.')));
    expect(kinds).toEqual(new Set(['baton.cmd', 'baton.qry', 'baton.evt', 'baton.agent']));
    const subjects = new Set(baton.map((s) => s.subject));
    // An agent's own commands go on the service subject or on its agent-scoped one (baton.agent.<id>.cmd.<name>).
    const sent = (service: string, name: string): boolean => subjects.has(`baton.cmd.${service}.${name}`) || subjects.has(`baton.agent.${agentId}.cmd.${name}`);
    for (const [service, name] of [
      ['agent-registry', 'register-agent'],
      ['agent-registry', 'update-agent'],
      ['scheduler', 'report-progress'],
      ['scheduler', 'complete-task'],
      ['scheduler', 'fail-task'],
      ['handoff-validator', 'validate-handoff'],
    ] as const) {
      expect([service, name, sent(service, name)]).toEqual([service, name, true]);
    }
    for (const expected of ['baton.evt.task.handoff-rejected', 'baton.evt.agent.registered', `baton.agent.${agentId}.inbox`, `baton.agent.${agentId}.heartbeat`]) {
      expect(subjects).toContain(expected);
    }
    expect(replies).toBeGreaterThan(20);
  });
});
