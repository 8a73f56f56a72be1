import { readFileSync } from 'node:fs';
import { BatonError, type NotificationChannelKind } from '@baton/contracts';
import { didYouMean, parseDuration } from '@baton/workflow-dsl';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ChannelRef, RecipientRole, RoutingRule, RoutingTable } from '../domain';

/**
 * The notifier's routing rules file (`NOTIFIER_RULES_FILE`, example in
 * examples/notifications.yaml): channels, people, stakeholders and rules, checked at start-up.
 * Secrets are never written in the file: it names the environment variable that holds each one
 * (`url_env: SLACK_WEBHOOK_URL`), and the value comes from that variable or from the file named
 * by the same variable with `_FILE` appended.
 */

const Duration = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const d = parseDuration(v);
  if (!d.ok) {
    ctx.addIssue({ code: 'custom', message: d.reason });
    return z.NEVER;
  }
  return d.ms;
});

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)');
const Url = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

const Delivery = z.strictObject({
  /** Attempts before a delivery is dead-lettered. */
  max_attempts: z.number().int().min(1).max(100).optional(),
  /** First back-off delay; it doubles up to `max_delay` (with jitter). */
  initial_delay: Duration.optional(),
  max_delay: Duration.optional(),
  /** One attempt's time limit. */
  timeout: Duration.optional(),
  /** Deliveries in flight at once on the channel (the others wait their turn). */
  concurrency: z.number().int().min(1).max(64).optional(),
});
type Delivery = z.infer<typeof Delivery>;

const Slack = Delivery.extend({ kind: z.literal('slack'), url_env: EnvName, label: z.string().min(1).max(200).optional() });
const Webhook = Delivery.extend({ kind: z.literal('webhook'), url: Url.optional(), url_env: EnvName.optional(), secret_env: EnvName, label: z.string().min(1).max(200).optional() });
const Email = Delivery.extend({
  kind: z.literal('email'),
  from: z.string().min(3).max(300),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    user_env: EnvName.optional(),
    password_env: EnvName.optional(),
  }),
});
const PagerDuty = Delivery.extend({
  kind: z.literal('pagerduty'),
  /** Events API base URL; tests point it at a local stand-in. */
  url: Url.default('https://events.pagerduty.com'),
  routing_key_env: EnvName,
  /** `payload.source` of the PagerDuty event. */
  source: z.string().min(1).max(255).default('baton'),
});
const Console = Delivery.extend({ kind: z.literal('console') });

const Channel = z.discriminatedUnion('kind', [Slack, Webhook, Email, PagerDuty, Console], {
  error: (issue) => (issue.code === 'invalid_union' ? 'must be one of slack, webhook, email, pagerduty, console' : undefined),
});

const TopicPattern = z.string().regex(/^(?:[a-z0-9*][a-z0-9-]*|\*|>)(?:\.(?:[a-z0-9][a-z0-9-]*|\*|>))*$/, 'a topic pattern like run.started, run.*, health.>');
const Role = z.enum(['approvers', 'assignee', 'workflow_target', 'stakeholders']);

const Target = z
  .strictObject({
    channel: z.string().min(1),
    use_workflow_channel: z.boolean().default(false),
    recipient: z.string().min(1).max(300).optional(),
    recipients: Role.optional(),
    fallback: z.string().min(1).max(300).optional(),
  })
  .refine((t) => t.recipient === undefined || t.recipients === undefined, 'give either recipient or recipients, not both');

const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const Rule = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, dot, dash or underscore'),
  description: z.string().optional(),
  on: z.array(TopicPattern).min(1),
  where: z.record(z.string().min(1), z.union([Scalar, z.array(Scalar).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]))).default({}),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  to: z.array(Target).min(1),
});

export const RulesFileSchema = z.strictObject({
  delivery: Delivery.default({}),
  channels: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'channel names: letters, digits, dot, dash or underscore'), Channel),
  people: z.record(z.string().min(1), z.strictObject({ email: z.email().optional(), slack: z.string().min(1).optional() })).default({}),
  stakeholders: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
  rules: z.array(Rule).default([]),
});
type RulesFile = z.infer<typeof RulesFileSchema>;

/** Delivery settings of one channel, defaults applied. */
export interface DeliverySettings {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
}

export const DEFAULT_DELIVERY: DeliverySettings = { maxAttempts: 8, initialDelayMs: 1000, maxDelayMs: 30_000, timeoutMs: 10_000, concurrency: 4 };

/** A channel ready to send over: its kind's settings, secrets read. */
export type ChannelSettings =
  | { readonly kind: 'slack'; readonly url: string }
  | { readonly kind: 'webhook'; readonly url: string; readonly secret: string }
  | { readonly kind: 'email'; readonly from: string; readonly host: string; readonly port: number; readonly secure: boolean; readonly user: string | null; readonly password: string | null }
  | { readonly kind: 'pagerduty'; readonly url: string; readonly routingKey: string; readonly source: string }
  | { readonly kind: 'console' };

export interface ChannelConfig {
  readonly name: string;
  readonly settings: ChannelSettings;
  readonly delivery: DeliverySettings;
}

/** The rules file, checked and with its secrets read. */
export interface NotifierRules {
  readonly file: string;
  readonly table: RoutingTable;
  readonly channels: Readonly<Record<string, ChannelConfig>>;
  /** Every secret value read (webhook secrets, URLs with tokens, keys, passwords), to keep out of logs and events. */
  readonly secrets: readonly string[];
}

/** Reads a secret from `NAME`, or from the file named by `NAME_FILE` (trailing newline dropped). Unset → undefined. */
export function readSecret(name: string, env: Readonly<Record<string, string | undefined>>, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct.trim() !== '') return direct.trim();
  const file = env[`${name}_FILE`];
  if (file === undefined || file.trim() === '') return undefined;
  let text: string;
  try {
    text = readFile(file.trim());
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `${name}_FILE names a file that cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { variable: `${name}_FILE` });
  }
  const value = text.replace(/\r?\n$/, '').trim();
  if (value === '') throw new BatonError('VALIDATION_FAILED', `${name}_FILE names an empty file`, { variable: `${name}_FILE` });
  return value;
}

function fail(file: string, problems: readonly string[]): never {
  throw new BatonError('VALIDATION_FAILED', `${file} is not a valid notification rules file:\n  ${problems.join('\n  ')}`, { file, problems });
}

function deliveryOf(defaults: Delivery, own: Delivery): DeliverySettings {
  return {
    maxAttempts: own.max_attempts ?? defaults.max_attempts ?? DEFAULT_DELIVERY.maxAttempts,
    initialDelayMs: own.initial_delay ?? defaults.initial_delay ?? DEFAULT_DELIVERY.initialDelayMs,
    maxDelayMs: own.max_delay ?? defaults.max_delay ?? DEFAULT_DELIVERY.maxDelayMs,
    timeoutMs: own.timeout ?? defaults.timeout ?? DEFAULT_DELIVERY.timeoutMs,
    concurrency: own.concurrency ?? defaults.concurrency ?? DEFAULT_DELIVERY.concurrency,
  };
}

interface SecretReader {
  readonly problems: string[];
  readonly secrets: string[];
  need(name: string, what: string): string;
  optional(name: string | undefined): string | null;
}

function secretReader(env: Readonly<Record<string, string | undefined>>, readFile?: (path: string) => string): SecretReader {
  const problems: string[] = [];
  const secrets: string[] = [];
  const read = (name: string): string | undefined => {
    try {
      const v = readSecret(name, env, readFile);
      if (v !== undefined) secrets.push(v);
      return v;
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  return {
    problems,
    secrets,
    need(name, what) {
      const v = read(name);
      if (v === undefined) problems.push(`${what}: set ${name} (or ${name}_FILE)`);
      return v ?? '';
    },
    optional: (name) => (name === undefined ? null : (read(name) ?? null)),
  };
}

function settingsOf(name: string, c: RulesFile['channels'][string], secrets: SecretReader): ChannelSettings {
  const at = `channels.${name}`;
  switch (c.kind) {
    case 'slack':
      return { kind: 'slack', url: secrets.need(c.url_env, `${at}.url_env (the Slack incoming webhook URL)`) };
    case 'webhook': {
      const url = c.url ?? (c.url_env !== undefined ? secrets.need(c.url_env, `${at}.url_env`) : undefined);
      if (url === undefined) secrets.problems.push(`${at}: give url or url_env`);
      const secret = secrets.need(c.secret_env, `${at}.secret_env (the whsec_… signing secret)`);
      if (secret !== '' && !secret.startsWith('whsec_')) secrets.problems.push(`${at}.secret_env: ${c.secret_env} must hold a Standard Webhooks secret (whsec_ followed by base64)`);
      return { kind: 'webhook', url: url ?? '', secret };
    }
    case 'email':
      return { kind: 'email', from: c.from, host: c.smtp.host, port: c.smtp.port, secure: c.smtp.secure, user: secrets.optional(c.smtp.user_env), password: secrets.optional(c.smtp.password_env) };
    case 'pagerduty':
      return { kind: 'pagerduty', url: c.url, routingKey: secrets.need(c.routing_key_env, `${at}.routing_key_env (the PagerDuty routing key)`), source: c.source };
    case 'console':
      return { kind: 'console' };
  }
}

function defaultRecipient(name: string, c: RulesFile['channels'][string]): string | null {
  if (c.kind === 'slack' || c.kind === 'webhook') return c.label ?? name;
  if (c.kind === 'email') return null;
  return c.kind;
}

function checkRules(doc: RulesFile, problems: string[]): void {
  const names = Object.keys(doc.channels);
  const ids = new Set<string>();
  doc.rules.forEach((rule, i) => {
    const at = `rules[${i}] (${rule.id})`;
    if (ids.has(rule.id)) problems.push(`${at}: the id ${rule.id} is used twice`);
    ids.add(rule.id);
    if (rule.on.some((p) => p.startsWith('notification.') || p === '>' || p === '*.>')) {
      problems.push(`${at}.on: the notifier's own events (notification.*) cannot trigger notifications`);
    }
    rule.to.forEach((t, j) => {
      const channel = doc.channels[t.channel];
      if (channel === undefined) {
        problems.push(`${at}.to[${j}].channel: no channel named "${t.channel}"${didYouMean(t.channel, names)} (channels: ${names.join(', ') || 'none'})`);
        return;
      }
      if (channel.kind === 'email' && t.recipient === undefined && t.recipients === undefined) {
        problems.push(`${at}.to[${j}]: an email target needs recipient or recipients`);
      }
    });
  });
}

/**
 * Parses and checks a rules file's text: its shape (zod), channel references (with
 * did-you-mean), and that every secret it names is set. All problems come in one
 * VALIDATION_FAILED, one line each, naming the place in the file and never a secret's value.
 *
 * @example
 * const rules = parseRulesFile(readFileSync('examples/notifications.yaml', 'utf8'), 'examples/notifications.yaml', process.env);
 */
export function parseRulesFile(text: string, file: string, env: Readonly<Record<string, string | undefined>>, readFile?: (path: string) => string): NotifierRules {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    fail(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = RulesFileSchema.safeParse(raw ?? {});
  if (!parsed.success) fail(file, parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`));
  const doc = parsed.data;
  const problems: string[] = [];
  checkRules(doc, problems);
  const secrets = secretReader(env, readFile);
  const channels: Record<string, ChannelConfig> = {};
  const refs: Record<string, ChannelRef> = {};
  for (const [name, c] of Object.entries(doc.channels)) {
    const delivery = deliveryOf(doc.delivery, c);
    channels[name] = { name, settings: settingsOf(name, c, secrets), delivery };
    refs[name] = { name, kind: c.kind as NotificationChannelKind, defaultRecipient: defaultRecipient(name, c), maxAttempts: delivery.maxAttempts };
  }
  problems.push(...secrets.problems);
  if (problems.length > 0) fail(file, problems);
  const rules: RoutingRule[] = doc.rules.map((r) => ({
    id: r.id,
    on: r.on,
    where: r.where,
    severity: r.severity ?? null,
    to: r.to.map((t) => ({
      channel: t.channel,
      useWorkflowChannel: t.use_workflow_channel,
      recipient: t.recipient ?? null,
      recipients: (t.recipients ?? null) as RecipientRole | null,
      fallback: t.fallback ?? null,
    })),
  }));
  return { file, table: { channels: refs, people: doc.people, stakeholders: doc.stakeholders, rules }, channels, secrets: secrets.secrets };
}

/** The rules when no file is configured: every run and health notice to the console (the log), so nothing is lost silently. */
export function consoleOnlyRules(): NotifierRules {
  const text = [
    'channels:',
    '  console: { kind: console }',
    'rules:',
    '  - id: console-all',
    '    on: [run.started, run.stage-completed, run.completed, run.failed, run.stage-approval-requested, timeline.>, workflow.>, escalation.>, health.>]',
    '    to: [{ channel: console }]',
  ].join('\n');
  return parseRulesFile(text, '(built-in console rules)', {});
}

/** Reads and checks the rules file at `file`; VALIDATION_FAILED when it cannot be read. */
export function loadRulesFile(file: string, env: Readonly<Record<string, string | undefined>>): NotifierRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `cannot read the notification rules file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  return parseRulesFile(text, file, env);
}

/** Patterns of JetStream subjects a rules table needs: `baton.evt.<category>.>` for each category its topics name. */
export function inputSubjectsOf(table: RoutingTable): string[] {
  // Derived topics come from run events; escalation and run events are read for context too.
  const categories = new Set<string>(['run', 'workflow']);
  for (const rule of table.rules) {
    for (const pattern of rule.on) {
      const first = pattern.split('.')[0]!;
      if (first === 'timeline' || first === 'workflow') categories.add('run');
      else if (first === '*' || first === '>') return ['baton.evt.>'];
      else categories.add(first);
    }
  }
  categories.delete('notification');
  return [...categories].sort().map((c) => `baton.evt.${c}.>`);
}
