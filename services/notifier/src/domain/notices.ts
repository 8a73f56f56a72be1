/**
 * What is worth telling people about an event: its topics (the run timeline, approvals,
 * escalations, health alerts, the workflow's own `on_failure: notify` and `notify_stakeholders`),
 * each with the facts rules filter on and a ready-to-send text. Pure: the app layer reads the
 * event and the run it belongs to, and hands both in.
 */
import type { NotificationSeverity } from '@baton/contracts';

/** Severity of a notice; `critical` notices may page. */
export type Severity = NotificationSeverity;

/** What the notifier knows about a run (from its `RunStarted` and its workflow version). */
export interface RunFacts {
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowName: string | null;
  readonly version: string;
  readonly priority: string;
  /** The action of each stage of the run's workflow version (`complete` → `notify_stakeholders`). */
  readonly stageActions: Readonly<Record<string, string | null>>;
}

/** An event as the notifier reads it (the relayed envelope's fields it needs). */
export interface NoticeEvent {
  readonly eventId: string;
  readonly type: string;
  /** `run`, `escalation`, `health`, … (the stream's category). */
  readonly category: string;
  readonly streamId: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly occurredAt: string;
}

/** One thing to tell, before routing decides to whom and how. */
export interface Notice {
  readonly topic: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly runId: string | null;
  readonly title: string;
  readonly text: string;
  readonly severity: Severity;
  /** Flat facts `where:` filters match (`priority`, `workflowId`, `kind`, `level`, a list such as `actions`, …). */
  readonly facts: Readonly<Record<string, Fact>>;
  /** Who the event itself names, for `recipients:` (approvers, the escalation's assignee, …). */
  readonly mentions: Readonly<Partial<Record<MentionKind, readonly string[]>>>;
  /** The channel an `on_failure: notify` step names (`slack`, `email`), if any. */
  readonly workflowChannel: string | null;
}

export type MentionKind = 'approvers' | 'assignee' | 'workflow_target';

/** The stage action that asks the control plane to tell the stakeholders (Feature Development's `complete`). */
export const NOTIFY_STAKEHOLDERS_ACTION = 'notify_stakeholders';

const TESTS_PASSED = /(^|_)tests?_pass(es|ed)?$/i;
const PULL_REQUEST = /^(pull_request|pr)(_url|_link)?$|^pull_request_number$/i;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

/** A fact a rule can filter on: a scalar as a string, or a list of them (matched when any element matches). */
export type Fact = string | readonly string[];

/** The top-level scalar fields of an event's data as strings, and its lists of scalars (what `where:` can match). */
function scalarFacts(data: Readonly<Record<string, unknown>>): Record<string, Fact> {
  const out: Record<string, Fact> = {};
  for (const [k, v] of Object.entries(data)) {
    const s = str(v);
    if (s !== null) out[k] = s;
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => str(x) !== null)) out[k] = v.map((x) => str(x)!);
  }
  return out;
}

/**
 * "All tests pass" from a stage's outputs: every output named like `tests_pass`,
 * `all_p0_tests_pass` or `smoke_tests_passed` is true, and there is at least one.
 */
export function testsPassed(outputs: Readonly<Record<string, unknown>>): boolean {
  const flags = Object.entries(outputs).filter(([k]) => TESTS_PASSED.test(k));
  return flags.length > 0 && flags.every(([, v]) => v === true || v === 'true');
}

/** The pull request a stage's outputs announce (`pull_request`, `pr_url`, …): its URL or label, else null. */
export function pullRequestOf(outputs: Readonly<Record<string, unknown>>): string | null {
  for (const [k, v] of Object.entries(outputs)) {
    if (!PULL_REQUEST.test(k) || v === null || v === undefined || v === false) continue;
    if (typeof v === 'string' && v.trim() !== '') return v.trim().split('\n')[0]!.slice(0, 300);
    if (typeof v === 'number') return `#${v}`;
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const url = str(o['url']) ?? str(o['html_url']) ?? (o['number'] !== undefined ? `#${String(o['number'])}` : null) ?? str(o['title']);
      return url ?? k;
    }
    return k;
  }
  return null;
}

function severityOf(value: unknown): Severity {
  const s = String(value ?? '').toLowerCase();
  if (s === 'p0' || s === 'critical' || s === 'error' || s === 'page') return 'critical';
  if (s === 'p1' || s === 'warning' || s === 'high') return 'warning';
  return 'info';
}

function runLabel(run: RunFacts | null, runId: string): string {
  return run === null ? `run ${runId}` : `${run.workflowName ?? run.workflowId} (run ${runId})`;
}

interface Draft {
  readonly topic: string;
  readonly title: string;
  readonly text: string;
  readonly severity?: Severity;
  readonly facts?: Record<string, string>;
  readonly mentions?: Notice['mentions'];
  readonly workflowChannel?: string | null;
}

/** A stage done, and what its outputs announce: all tests passing, a pull request; `notify_stakeholders` stages tell the stakeholders. */
function stageCompletedDrafts(d: NoticeEvent['data'], stageId: string | null, label: string, run: RunFacts | null): Draft[] {
  const outputs = (typeof d['outputs'] === 'object' && d['outputs'] !== null ? d['outputs'] : {}) as Record<string, unknown>;
  const drafts: Draft[] = [{ topic: 'run.stage-completed', title: `Stage ${stageId} complete`, text: `Stage ${stageId} of ${label} complete${str(d['outcome']) ? ` (${str(d['outcome'])})` : ''}` }];
  if (testsPassed(outputs)) drafts.push({ topic: 'timeline.tests-passed', title: 'All tests pass', text: `All tests pass! Stage ${stageId} of ${label}` });
  const pr = pullRequestOf(outputs);
  if (pr !== null) drafts.push({ topic: 'timeline.pr-created', title: 'PR created', text: `PR created: ${pr} (stage ${stageId} of ${label})`, facts: { pullRequest: pr } });
  if (stageId !== null && run?.stageActions[stageId] === NOTIFY_STAKEHOLDERS_ACTION) {
    drafts.push({ topic: 'workflow.notify-stakeholders', title: `${run.workflowName ?? run.workflowId}: complete`, text: `COMPLETE! ${label} reached stage ${stageId}: the stakeholders are notified.` });
  }
  return drafts;
}

/** One notice per `notify` step of the workflow's `on_failure` list, over the channel it names, to its target. */
function onFailureDrafts(d: NoticeEvent['data'], stageId: string | null, label: string): Draft[] {
  const list = Array.isArray(d['notifications']) ? (d['notifications'] as unknown[]) : [];
  return list.flatMap((n, i) => {
    if (typeof n !== 'object' || n === null) return [];
    const o = n as Record<string, unknown>;
    const target = str(o['target']);
    return [
      {
        topic: 'workflow.on-failure-notify',
        title: `${label} failed`,
        text: str(o['message']) ?? `${label} failed${stageId ? ` at stage ${stageId}` : ''}: ${str(d['reason']) ?? 'unknown error'}`,
        severity: 'warning' as const,
        facts: { step: String(i + 1), workflowChannel: str(o['channel']) ?? '' },
        mentions: target === null ? {} : { workflow_target: [target] },
        workflowChannel: str(o['channel']),
      },
    ];
  });
}

function runDrafts(event: NoticeEvent, run: RunFacts | null): Draft[] {
  const d = event.data;
  const runId = str(d['runId']) ?? '';
  const label = runLabel(run, runId);
  const stageId = str(d['stageId']);
  switch (event.type) {
    case 'RunStarted':
      return [{ topic: 'run.started', title: `Run started: ${label}`, text: `Project started: ${label}, priority ${run?.priority ?? str(d['priority']) ?? 'P1'}` }];
    case 'StageCompleted':
      return stageCompletedDrafts(d, stageId, label, run);
    case 'StageFailed':
      return [{ topic: 'run.stage-failed', title: `Stage ${stageId} failed`, text: `Stage ${stageId} of ${label} failed: ${str(d['error']) ?? 'unknown error'}`, severity: 'warning' }];
    case 'StageSlaBreached':
      return [{ topic: 'run.stage-sla-breached', title: `Stage ${stageId} is past its SLA`, text: `Stage ${stageId} of ${label} ran past its SLA (${str(d['slaMs'])} ms)`, severity: 'warning' }];
    case 'StageApprovalRequested': {
      const approvers = Array.isArray(d['approvers']) ? d['approvers'].filter((a): a is string => typeof a === 'string') : [];
      const when = str(d['when']) === 'after' ? 'to accept its work' : 'before it starts';
      return [
        {
          topic: 'run.stage-approval-requested',
          title: `Approval needed: stage ${stageId} of ${label}`,
          text: `Stage ${stageId} of ${label} waits for your approval ${when} (approvers: ${approvers.join(', ') || 'none named'}). Approve with: baton approve ${runId} ${stageId} --reason "…"`,
          mentions: { approvers },
        },
      ];
    }
    case 'FailureStepsStarted':
      return onFailureDrafts(d, stageId, label);
    case 'RunCompleted':
      return [{ topic: 'run.completed', title: `Run complete: ${label}`, text: `COMPLETE! ${label} finished successfully.` }];
    case 'RunFailed':
      return [{ topic: 'run.failed', title: `Run failed: ${label}`, text: `${label} failed: ${str(d['error']) ?? 'unknown error'}`, severity: 'warning' }];
    case 'RunCancelled':
      return [{ topic: 'run.cancelled', title: `Run cancelled: ${label}`, text: `${label} was cancelled: ${str(d['reason']) ?? ''}`.trim() }];
    default:
      return [];
  }
}

function escalationDrafts(event: NoticeEvent): Draft[] {
  const d = event.data;
  const assignee = typeof d['assignee'] === 'object' && d['assignee'] !== null ? str((d['assignee'] as Record<string, unknown>)['id']) : null;
  const mentions = assignee === null ? {} : { assignee: [assignee] };
  const id = str(d['escalationId']) ?? '';
  if (event.type === 'EscalationRaised') {
    const level = str(d['level']) ?? '0';
    return [
      {
        topic: 'escalation.raised',
        title: `Escalation L${level}: ${str(d['issue']) ?? id}`.slice(0, 300),
        text: [`Escalation ${id} (L${level}, ${str(d['trigger'])}) is with you.`, `Issue: ${str(d['issue']) ?? ''}`, `Blocking: ${str(d['blocking']) ?? ''}`, `Recommendation: ${str(d['recommendation']) ?? 'none'}`].join('\n'),
        severity: level === '3' ? 'warning' : 'info',
        mentions,
        facts: { level },
      },
    ];
  }
  if (event.type === 'EscalationLevelRaised') {
    const level = str(d['to']) ?? '0';
    return [
      {
        topic: 'escalation.level-raised',
        title: `Escalation ${id} is now L${level}`,
        text: `Escalation ${id} (${str(d['trigger'])}) went from L${str(d['from'])} to L${level} and is with you: ${str(d['reason']) ?? ''}`,
        severity: level === '3' ? 'warning' : 'info',
        mentions,
        facts: { level },
      },
    ];
  }
  if (event.type === 'EscalationResolved') {
    return [{ topic: 'escalation.resolved', title: `Escalation ${id} resolved`, text: `Escalation ${id} was resolved (${str(d['resolution'])}): ${str(d['reason']) ?? ''}` }];
  }
  return [];
}

/** `HealthBreached` → `breached`; the topic token of any event type. */
export function topicToken(type: string, category: string): string {
  const dashed = type.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  return dashed.startsWith(`${category}-`) ? dashed.slice(category.length + 1) : dashed;
}

function genericDraft(event: NoticeEvent): Draft {
  const d = event.data;
  const topic = `${event.category}.${topicToken(event.type, event.category)}`;
  const summary = str(d['message']) ?? str(d['summary']) ?? str(d['description']) ?? str(d['reason']);
  const name = str(d['metric']) ?? str(d['name']) ?? str(d['check']);
  const subject = [name, str(d['agentId']) ?? str(d['agent']) ?? str(d['subject'])].filter((x) => x !== null).join(' on ');
  const title = `${event.type}${subject ? `: ${subject}` : ''}`;
  const details = Object.entries(scalarFacts(d))
    .filter(([k]) => !['message', 'summary', 'description'].includes(k))
    .map(([k, v]) => [k, Array.isArray(v) ? v.join('+') : v] as const)
    .slice(0, 12)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return { topic, title, text: summary ? `${summary}${details ? ` (${details})` : ''}` : `${title}${details ? ` (${details})` : ''}`, severity: severityOf(d['severity'] ?? d['priority'] ?? d['level']) };
}

/**
 * The notices an event gives, one per topic. Run events are read with the run they belong to
 * (null when the notifier never saw it start); health and any other event types get a topic
 * `<category>.<event>` and a generic text from their fields.
 *
 * @example
 * noticesOf({ type: 'RunStarted', category: 'run', data: { runId: 'r-1', … }, … }, run)
 * // → [{ topic: 'run.started', text: 'Project started: Feature Development (run r-1), priority P1', … }]
 */
export function noticesOf(event: NoticeEvent, run: RunFacts | null): Notice[] {
  const drafts = event.category === 'run' ? runDrafts(event, run) : event.category === 'escalation' ? escalationDrafts(event) : [genericDraft(event)];
  const runId = str(event.data['runId']) ?? run?.runId ?? null;
  const base: Record<string, Fact> = {
    ...scalarFacts(event.data),
    ...(run === null ? {} : { workflowId: run.workflowId, version: run.version, priority: run.priority, ...(run.workflowName ? { workflowName: run.workflowName } : {}) }),
    eventType: event.type,
  };
  return drafts.map((draft) => ({
    topic: draft.topic,
    eventId: event.eventId,
    eventType: event.type,
    streamId: event.streamId,
    runId,
    title: draft.title,
    text: draft.text,
    severity: draft.severity ?? (base['priority'] === 'P0' ? 'critical' : 'info'),
    facts: { ...base, ...(draft.facts ?? {}), topic: draft.topic },
    mentions: draft.mentions ?? {},
    workflowChannel: draft.workflowChannel ?? null,
  }));
}
