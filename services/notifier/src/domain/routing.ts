import { createHash } from 'node:crypto';
import type { NotificationChannelKind, NotificationRequestedData } from '@baton/contracts';
import type { MentionKind, Notice, Severity } from './notices';

/** A channel as routing sees it (its secrets stay with the sender). */
export interface ChannelRef {
  readonly name: string;
  readonly kind: NotificationChannelKind;
  /** Who a delivery without a recipient goes to (`#agent-health`, `pagerduty`, `console`). */
  readonly defaultRecipient: string | null;
  readonly maxAttempts: number;
}

/** How a person is reached on each kind of channel. */
export interface Person {
  readonly email?: string;
  readonly slack?: string;
}

/** Recipients a rule names by role: from the event (approvers, assignee, the workflow step's target) or the stakeholders list. */
export type RecipientRole = MentionKind | 'stakeholders';

export interface RouteTarget {
  /** The channel's name; with `useWorkflowChannel`, the one used when the workflow names none that exists. */
  readonly channel: string;
  /** `on_failure: notify: <channel>`: deliver over the channel the workflow named, if it is configured. */
  readonly useWorkflowChannel: boolean;
  /** A literal recipient: an email address, a person's name, a Slack channel label. */
  readonly recipient: string | null;
  readonly recipients: RecipientRole | null;
  /** Who gets it when the role names nobody reachable on the channel. */
  readonly fallback: string | null;
}

export interface RoutingRule {
  readonly id: string;
  /** Topic patterns, NATS style: `run.*`, `health.>`. */
  readonly on: readonly string[];
  /** Facts that must match (any of the listed values). */
  readonly where: Readonly<Record<string, readonly string[]>>;
  readonly to: readonly RouteTarget[];
  readonly severity: Severity | null;
}

/** Everything routing needs, already validated (see the rules file loader). */
export interface RoutingTable {
  readonly channels: Readonly<Record<string, ChannelRef>>;
  readonly people: Readonly<Record<string, Person>>;
  /** Stakeholders per workflow id, `*` for every workflow. */
  readonly stakeholders: Readonly<Record<string, readonly string[]>>;
  readonly rules: readonly RoutingRule[];
}

/** A delivery routing decided on: the data of `RequestNotification`. */
export type PlannedDelivery = Omit<NotificationRequestedData, 'requestedAt'>;

/** A recipient routing could not reach (logged, never delivered). */
export interface SkippedDelivery {
  readonly ruleId: string;
  readonly channel: string;
  readonly reason: string;
}

/**
 * Whether a topic matches a NATS-style pattern: `*` is one token, `>` one or more at the end.
 *
 * @example
 * topicMatches('health.>', 'health.breached') // true
 * topicMatches('run.*', 'run.stage-completed') // true
 */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

/** PagerDuty pages only for P0 (the run's priority, or the event's own priority or severity). */
export function isP0(notice: Notice): boolean {
  return notice.facts['priority'] === 'P0' || notice.facts['severity'] === 'P0';
}

/**
 * The id of one delivery: the same event, rule, channel and recipient always give the same id,
 * so a redelivered event requests nothing twice and receivers can drop repeats.
 */
export function deliveryIdOf(eventId: string, topic: string, ruleId: string, channel: string, recipient: string): string {
  const hash = createHash('sha256').update([eventId, topic, ruleId, channel, recipient].join('\u0000')).digest('hex');
  return `n-${hash.slice(0, 32)}`;
}

function whereMatches(where: RoutingRule['where'], facts: Notice['facts']): boolean {
  return Object.entries(where).every(([key, values]) => {
    const v = facts[key];
    if (v === undefined) return false;
    return typeof v === 'string' ? values.includes(v) : v.some((x) => values.includes(x));
  });
}

/** A name as the channel reaches it: an email address for email, a handle for Slack, else as written. */
function address(name: string, kind: NotificationChannelKind, people: RoutingTable['people']): string | null {
  const person = Object.hasOwn(people, name) ? people[name] : undefined;
  if (kind === 'email') return person?.email ?? (name.includes('@') ? name : null);
  if (kind === 'slack') return person?.slack ?? name;
  return name;
}

function namesFor(target: RouteTarget, notice: Notice, table: RoutingTable): readonly string[] {
  if (target.recipient !== null) return [target.recipient];
  if (target.recipients === 'stakeholders') {
    const wf = notice.facts['workflowId'];
    return (typeof wf === 'string' && Object.hasOwn(table.stakeholders, wf) ? table.stakeholders[wf] : undefined) ?? table.stakeholders['*'] ?? [];
  }
  if (target.recipients !== null) return notice.mentions[target.recipients] ?? [];
  return [];
}

function channelFor(target: RouteTarget, notice: Notice, table: RoutingTable): ChannelRef | undefined {
  const wanted = target.useWorkflowChannel ? notice.workflowChannel : null;
  if (wanted !== null && Object.hasOwn(table.channels, wanted)) return table.channels[wanted];
  return Object.hasOwn(table.channels, target.channel) ? table.channels[target.channel] : undefined;
}

/**
 * The deliveries the rules ask for, for one notice: every matching rule, each of its targets,
 * each recipient once per channel. PagerDuty targets only fire for P0 notices. When the named
 * recipients cannot be reached on their channel (a name with no email address, nobody named),
 * the delivery goes to the target's `fallback`, else to the channel's own recipient (a Slack
 * channel's label), else it is reported as skipped.
 */
export function route(notice: Notice, table: RoutingTable): { readonly deliveries: PlannedDelivery[]; readonly skipped: SkippedDelivery[] } {
  const deliveries: PlannedDelivery[] = [];
  const skipped: SkippedDelivery[] = [];
  const seen = new Set<string>();
  for (const rule of table.rules) {
    if (!rule.on.some((p) => topicMatches(p, notice.topic)) || !whereMatches(rule.where, notice.facts)) continue;
    for (const target of rule.to) {
      const channel = channelFor(target, notice, table);
      if (channel === undefined) {
        skipped.push({ ruleId: rule.id, channel: target.channel, reason: `no channel named ${target.channel}` });
        continue;
      }
      if (channel.kind === 'pagerduty' && !isP0(notice)) continue;
      const named = target.recipient === null && target.recipients === null ? [channel.defaultRecipient ?? channel.name] : namesFor(target, notice, table);
      let recipients = named.map((n) => address(n, channel.kind, table.people)).filter((a): a is string => a !== null);
      if (recipients.length === 0 && target.fallback !== null) recipients = [target.fallback];
      if (recipients.length === 0 && channel.defaultRecipient !== null) recipients = [channel.defaultRecipient];
      if (recipients.length === 0) {
        skipped.push({ ruleId: rule.id, channel: channel.name, reason: `nobody to tell: ${target.recipients ?? 'recipient'} ${named.length === 0 ? 'names nobody' : `(${named.join(', ')}) has no ${channel.kind} address`}` });
        continue;
      }
      for (const recipient of recipients) {
        const key = `${channel.name}\u0000${recipient}`;
        if (seen.has(key)) continue;
        seen.add(key);
        deliveries.push({
          deliveryId: deliveryIdOf(notice.eventId, notice.topic, rule.id, channel.name, recipient),
          ruleId: rule.id,
          channel: channel.name,
          channelKind: channel.kind,
          recipient,
          title: notice.title,
          text: notice.text,
          severity: rule.severity ?? notice.severity,
          source: { eventId: notice.eventId, eventType: notice.eventType, streamId: notice.streamId, topic: notice.topic, runId: notice.runId },
          maxAttempts: channel.maxAttempts,
        });
      }
    }
  }
  return { deliveries, skipped };
}
