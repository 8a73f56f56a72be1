import { styleText } from 'node:util';
import Table from 'cli-table3';
import type {
  Actor,
  AgentDetailView,
  ConflictView,
  DataOf,
  EscalationView,
  NotificationView,
  ReplayRun,
  ReplyOf,
  RunSummary,
  TaskView,
  WorkflowResultView,
  WorkflowStepView,
  WorkflowSummary,
} from '@baton/contracts';

/**
 * Pure formatting of what the services answer, for people. Every function returns text and
 * takes the current time (for ages) and a {@link Paint} (colour or none), so it is unit-testable.
 */

/** How a piece of text should look: good, bad, in progress, muted, emphasised. */
export type Tone = 'good' | 'bad' | 'busy' | 'muted' | 'strong';

/** Colours text by tone; {@link plain} leaves it alone. */
export type Paint = (text: string, tone: Tone) => string;

export const plain: Paint = (text) => text;

const TONE_STYLE: Record<Tone, Parameters<typeof styleText>[0]> = {
  good: 'green',
  bad: 'red',
  busy: 'yellow',
  muted: 'gray',
  strong: 'bold',
};

/** ANSI colours through node:util styleText (the caller decides whether the terminal wants them). */
export const ansi: Paint = (text, tone) => (text === '' ? text : styleText(TONE_STYLE[tone], text, { validateStream: false }));

/** Colour only for a terminal, and never when NO_COLOR is set. */
export function paintFor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Paint {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return isTTY && !noColor ? ansi : plain;
}

const GOOD = new Set(['success', 'completed', 'succeeded', 'approved', 'resolved', 'available', 'ok', 'registered', 'IDLE']);
const BAD = new Set(['failure', 'failed', 'error', 'offline', 'cancelled', 'rejected', 'ERROR']);
const BUSY = new Set([
  'running',
  'busy',
  'assigned',
  'accepted',
  'paused',
  'blocked',
  'queued',
  'pending',
  'open',
  'awaiting_approval',
  'escalated',
  'EXECUTING',
  'ANALYZING',
  'BLOCKED',
  'HANDOFF',
]);

/** The tone of a status word, so every table colours statuses the same way. */
export function toneOf(status: string): Tone {
  if (GOOD.has(status)) return 'good';
  if (BAD.has(status)) return 'bad';
  if (BUSY.has(status)) return 'busy';
  return 'muted';
}

/** A table with plain borders and no colours of its own (cli-table3 colours headers red by default). */
/** No rule between body rows: one line per row. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

export function table(head: readonly string[], rows: readonly (readonly string[])[], paint: Paint = plain): string {
  const t = new Table({ head: head.map((h) => paint(h, 'strong')), chars: COMPACT, style: { head: [], border: [] } });
  for (const r of rows) t.push([...r]);
  return t.toString();
}

/** What a list command prints: a table with a row per item, or `empty` when there are none. */
function listTable<T>(items: readonly T[], empty: string, head: readonly string[], paint: Paint, row: (item: T) => readonly string[]): string {
  return items.length === 0 ? empty : table(head, items.map(row), paint);
}

/** Two-column key/value table. */
export function detailTable(pairs: readonly (readonly [string, string])[], paint: Paint = plain): string {
  const t = new Table({ chars: COMPACT, style: { head: [], border: [] } });
  for (const [k, v] of pairs) t.push({ [paint(k, 'strong')]: v });
  return t.toString();
}

/** `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}

/** Age of an ISO time relative to `now`: `3s ago`, `2m ago`, `1h ago`, `never` for null. */
export function formatAge(iso: string | null | undefined, now: Date): string {
  if (iso === null || iso === undefined || iso === '') return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS` (UTC), or `-`. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().replace('T', ' ').slice(0, 19);
}

function status(text: string, paint: Paint): string {
  return paint(text, toneOf(text));
}

/** `workflows list`. */
export function formatWorkflows(workflows: readonly WorkflowSummary[], paint: Paint = plain): string {
  const empty = 'No workflows registered. Register some with: baton workflows register examples/workflows';
  return listTable(workflows, empty, ['ID', 'NAME', 'VERSION', 'VERSIONS', 'TRIGGER', 'REGISTERED'], paint, (w) => [w.workflowId, w.name, w.version, String(w.versions.length), w.trigger, formatTime(w.registeredAt)]);
}

/** `runs list`. */
export function formatRuns(runs: readonly RunSummary[], now: Date, paint: Paint = plain): string {
  return listTable(runs, 'No runs. Start one with: baton workflows execute <workflowId>', ['RUN', 'WORKFLOW', 'VERSION', 'STATE', 'STARTED', 'DURATION'], paint, (r) => [
    r.runId,
    r.workflowId,
    r.version,
    status(r.state, paint),
    formatTime(r.startTime),
    formatDuration((r.endTime === null ? now.getTime() : Date.parse(r.endTime)) - Date.parse(r.startTime)) + (r.endTime === null ? ' (so far)' : ''),
  ]);
}

function outputSummary(output: unknown): string {
  if (output === undefined || output === null) return '';
  if (typeof output === 'string') return output.length > 40 ? `${output.slice(0, 39)}…` : output;
  if (typeof output === 'object' && !Array.isArray(output)) {
    const keys = Object.keys(output);
    if (keys.length === 0) return '';
    const shown = keys.slice(0, 3).join(', ');
    return keys.length > 3 ? `${shown}, … (${keys.length})` : shown;
  }
  const text = JSON.stringify(output);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** `workflows status <runId>`: the run, its steps, and its metrics. */
export function formatRunResult(run: WorkflowResultView, now: Date, paint: Paint = plain): string {
  const ended = run.endTime !== undefined;
  const duration = run.duration ?? (ended ? Date.parse(run.endTime ?? '') - Date.parse(run.startTime) : now.getTime() - Date.parse(run.startTime));
  const pairs: [string, string][] = [
    ['Run', run.runId],
    ['Workflow', `${run.workflowId} v${run.version}`],
    ['Status', run.state === run.status ? status(run.status, paint) : `${status(run.status, paint)} (${status(run.state, paint)})`],
    ['Priority', run.priority],
    ['Started', formatTime(run.startTime)],
    ['Ended', ended ? formatTime(run.endTime) : '-'],
    ['Duration', formatDuration(duration) + (ended ? '' : ' (so far)')],
  ];
  if (Object.keys(run.params).length > 0) pairs.push(['Params', Object.entries(run.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')]);
  if (run.error !== undefined) pairs.push(['Error', paint(run.error, 'bad')]);
  const steps =
    run.steps.length === 0
      ? 'No steps yet.'
      : table(
          ['STEP', 'AGENT', 'STATUS', 'RUNS', 'OUTCOME', 'OUTPUT', 'ERROR'],
          run.steps.map((s) => [s.stepId, s.agent, status(s.status, paint), String(s.runs), s.outcome ?? '', outputSummary(s.output), s.error ?? '']),
          paint,
        );
  const m = run.metrics;
  const metrics = `Steps: ${m.totalSteps} total, ${paint(`${m.successfulSteps} succeeded`, m.successfulSteps > 0 ? 'good' : 'muted')}, ${paint(
    `${m.failedSteps} failed`,
    m.failedSteps > 0 ? 'bad' : 'muted',
  )}, ${m.skippedSteps} skipped`;
  return [detailTable(pairs, paint), steps, metrics].join('\n');
}

/** `agents list`. */
export function formatAgents(agents: readonly AgentDetailView[], now: Date, paint: Paint = plain): string {
  return listTable(agents, 'No agents match. Agents register themselves, or come from AGENTS_FILE (examples/agents.yaml).', ['ID', 'NAME', 'ROLE', 'STATUS', 'STATE', 'LOAD', 'MODEL', 'HEARTBEAT'], paint, (a) => [
    a.agentId,
    a.name ?? '',
    a.role,
    status(a.status, paint),
    status(a.state, paint),
    `${a.load}/${a.maxConcurrency}`,
    a.model ?? '',
    formatAge(a.lastHeartbeatAt, now),
  ]);
}

function percent(rate: number): string {
  const pct = rate * 100;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)}%`;
}

/** `agents health`: one row per agent with heartbeat age, load and performance. */
export function formatAgentsHealth(agents: readonly AgentDetailView[], now: Date, paint: Paint = plain): string {
  return listTable(agents, 'No agents registered.', ['ID', 'STATUS', 'STATE', 'HEARTBEAT', 'LOAD', 'DONE', 'FAILED', 'ERROR RATE', 'MEAN TIME'], paint, (a) => [
    a.agentId,
    status(a.status, paint),
    status(a.state, paint),
    formatAge(a.lastHeartbeatAt, now),
    `${a.load}/${a.maxConcurrency}`,
    String(a.performance.tasksCompleted),
    String(a.performance.tasksFailed),
    percent(a.performance.errorRate),
    a.performance.meanCompletionMs === null ? '-' : formatDuration(a.performance.meanCompletionMs),
  ]);
}

/** `agents health <agentId>`: everything about one agent. */
export function formatAgentHealth(a: AgentDetailView, now: Date, paint: Paint = plain): string {
  return detailTable(
    [
      ['Agent', a.name === null ? a.agentId : `${a.agentId} (${a.name})`],
      ['Role', a.role],
      ['Status', status(a.status, paint)],
      ['State', status(a.state, paint)],
      ['Last heartbeat', a.lastHeartbeatAt === null ? 'never' : `${formatAge(a.lastHeartbeatAt, now)} (${formatTime(a.lastHeartbeatAt)})`],
      ['Load', `${a.load} of ${a.maxConcurrency}`],
      ['Tasks completed', String(a.performance.tasksCompleted)],
      ['Tasks failed', String(a.performance.tasksFailed)],
      ['Error rate', percent(a.performance.errorRate)],
      ['Mean completion', a.performance.meanCompletionMs === null ? '-' : formatDuration(a.performance.meanCompletionMs)],
      ['Capabilities', a.capabilities.join(', ')],
      ['Model', a.model ?? '-'],
      ['Lead', a.lead ?? '-'],
      ['Peers', a.peers.length === 0 ? '-' : a.peers.join(', ')],
      ['Registered', formatTime(a.registeredAt)],
    ],
    paint,
  );
}

/** `tasks list`. */
export function formatTasks(tasks: readonly TaskView[], now: Date, paint: Paint = plain): string {
  return listTable(tasks, 'No tasks match.', ['TASK', 'RUN', 'STAGE', 'ACTION', 'PRIORITY', 'STATUS', 'AGENT', 'ATTEMPT', 'PROGRESS', 'UPDATED'], paint, (t) => [
    t.taskId,
    t.runId ?? '',
    t.stageId ?? '',
    t.action,
    t.priority,
    status(t.status, paint),
    t.agentId ?? '',
    `${t.attempt}/${t.maxAttempts}`,
    t.percent === null ? '' : `${Math.round(t.percent)}%`,
    formatAge(t.updatedAt, now),
  ]);
}

const STEP_MARK: Record<WorkflowStepView['status'], string> = { success: '✓', failure: '✗', skipped: '–', running: '▶', pending: '·' };

/**
 * Which run of a stage this is (loops run a stage again). `runs` counts successful runs, so a
 * running or failed stage is on run `runs + 1`, a succeeded one on run `runs`.
 */
export function stageRunNumber(s: WorkflowStepView): number {
  return s.status === 'success' ? s.runs : s.runs + 1;
}

function stepLine(s: WorkflowStepView, status: WorkflowStepView['status'], runNumber: number, paint: Paint): string {
  const who = s.agent === '' ? '' : ` (${s.agent})`;
  const run = runNumber > 1 && status !== 'skipped' ? ` [run ${runNumber}]` : '';
  const outcome = status === 'running' || s.outcome === null ? '' : ` → ${s.outcome}`;
  const error = status === 'running' || s.error === undefined ? '' : `: ${s.error}`;
  const verb = { running: 'started', success: 'succeeded', failure: 'failed', skipped: 'skipped', pending: 'pending' }[status];
  return `${paint(STEP_MARK[status], toneOf(status))} stage ${paint(s.stepId, 'strong')} ${paint(verb, toneOf(status))}${run}${who}${outcome}${error}`;
}

function stamp(elapsedMs: number): string {
  const s = Math.max(0, elapsedMs) / 1000;
  const m = Math.floor(s / 60);
  return `[${String(m).padStart(2, '0')}:${(s - m * 60).toFixed(1).padStart(4, '0')}]`;
}

/**
 * Progress lines between two polls of a run (`workflows execute --wait`): a line for each
 * stage that started, finished or ran again, and for each change of the run's state.
 * `previous` undefined means the first poll (a line announcing the run).
 */
export function progressLines(previous: WorkflowResultView | undefined, next: WorkflowResultView, elapsedMs: number, paint: Paint = plain): string[] {
  const at = paint(stamp(elapsedMs), 'muted');
  const out: string[] = [];
  if (previous === undefined) out.push(`${at} run ${paint(next.runId, 'strong')} of ${next.workflowId} v${next.version} is ${status(next.state, paint)} (priority ${next.priority})`);
  const before = new Map((previous?.steps ?? []).map((s) => [s.stepId, s]));
  for (const s of next.steps) {
    const p = before.get(s.stepId);
    const n = stageRunNumber(s);
    const changed = p === undefined ? s.status !== 'pending' : p.status !== s.status || stageRunNumber(p) !== n;
    if (!changed) continue;
    // A stage that started and finished between two polls: say both, so every stage is named when it starts.
    const finished = s.status === 'success' || s.status === 'failure';
    if (finished && (p === undefined || p.status !== 'running' || stageRunNumber(p) !== n)) out.push(`${at} ${stepLine(s, 'running', n, paint)}`);
    out.push(`${at} ${stepLine(s, s.status, n, paint)}`);
  }
  if (previous !== undefined && previous.state !== next.state && next.status === 'running') out.push(`${at} run is ${status(next.state, paint)}`);
  if (next.status !== 'running' || next.state === 'cancelled') {
    const m = next.metrics;
    const took = next.duration === undefined ? '' : ` in ${formatDuration(next.duration)}`;
    const err = next.error === undefined ? '' : `: ${next.error}`;
    out.push(
      `${at} run ${paint(next.runId, 'strong')} ended: ${status(next.state, paint)}${took} (${m.successfulSteps} succeeded, ${m.failedSteps} failed, ${m.skippedSteps} skipped of ${m.totalSteps})${err}`,
    );
  }
  return out;
}

/** True when a run will change no more. */
export function runIsOver(run: WorkflowResultView): boolean {
  return run.state === 'success' || run.state === 'failure' || run.state === 'cancelled';
}

/** `human:alice`. */
export function formatActor(actor: Actor | null | undefined): string {
  return actor === null || actor === undefined ? '-' : `${actor.kind}:${actor.id}`;
}

/** Shortens text to one line of at most `max` characters. */
function oneLine(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export type ReplayView = ReplyOf<typeof ReplayRun>;
export type ReplayQuery = DataOf<typeof ReplayRun>;

/** `replay <runId>`: the run as its events up to a point make it, and each stage's state then. */
export function formatReplay(r: ReplayView, paint: Paint = plain): string {
  const head = `Run ${paint(r.runId, 'strong')} of ${r.workflowId} v${r.version}: ${status(r.status, paint)}`;
  const asOf = `as of event ${r.revision} (${r.lastEventType}) at ${r.position}, ${r.eventsApplied} event${r.eventsApplied === 1 ? '' : 's'} applied`;
  const stages =
    r.stages.length === 0
      ? 'No stages yet.'
      : table(
          ['STAGE', 'STATUS', 'ITERATION', 'RUNS', 'OUTCOME', 'REJECTIONS', 'AWAITING', 'TASKS'],
          r.stages.map((s) => [
            s.stageId,
            status(s.status, paint),
            String(s.iteration),
            String(s.runs),
            s.outcome ?? '',
            s.rejections === 0 ? '' : String(s.rejections),
            s.awaiting ?? '',
            s.tasks.map((t) => `${t.taskId} ${t.status}${t.agentId === null ? '' : ` (${t.agentId})`}`).join(', '),
          ]),
          paint,
        );
  return [head, asOf, stages].join('\n');
}

const LEVEL_NAME = ['agent', 'peer agent', 'lead agent', 'human'] as const;

/** `L2`. */
export function formatLevel(level: number): string {
  return `L${level}`;
}

function escalationWhere(e: EscalationView): string {
  if (e.runId === null && e.stageId === null && e.taskId === null) return '';
  return [e.runId, e.stageId, e.taskId].map((x) => x ?? '-').join('/');
}

/** `escalations list`. */
export function formatEscalations(list: readonly EscalationView[], now: Date, paint: Paint = plain): string {
  return listTable(list, 'No escalations match.', ['ID', 'LEVEL', 'ASSIGNEE', 'TRIGGER', 'STATUS', 'RUN/STAGE/TASK', 'ISSUE', 'AGE'], paint, (e) => [
    e.escalationId,
    paint(formatLevel(e.level), e.level === 3 ? 'bad' : e.level === 0 ? 'muted' : 'busy'),
    formatActor(e.assignee),
    e.trigger,
    status(e.status, paint),
    escalationWhere(e),
    oneLine(e.issue, 60),
    formatAge(e.raisedAt, now),
  ]);
}

/**
 * `escalations show <id>`: the escalation format of seed 001 (issue, workflow stage, options
 * with trade-offs, recommendation, what is blocked), then where it stands.
 */
export function formatEscalation(e: EscalationView, now: Date, paint: Paint = plain): string {
  const label = (text: string): string => paint(text.padEnd(16), 'strong');
  const options =
    e.options.length === 0
      ? [`${label('Options:')}-`]
      : [paint('Options:', 'strong'), ...e.options.map((o, i) => `  ${i + 1}. ${o.label}${o.tradeoff === '' ? '' : `\n     trade-off: ${o.tradeoff}`}`)];
  const format = [
    `${paint('ESCALATION', 'strong')} ${e.escalationId} (${formatLevel(e.level)}, ${status(e.status, paint)})`,
    `${label('Issue:')}${e.issue}`,
    `${label('Workflow Stage:')}${e.workflowStage ?? '-'}`,
    ...options,
    `${label('Recommendation:')}${e.recommendation ?? '-'}`,
    `${label('Blocking:')}${e.blocking === '' ? '-' : e.blocking}`,
  ].join('\n');
  const resolution =
    e.resolution === null
      ? '-'
      : `${paint(e.resolution, 'good')} by ${formatActor(e.resolvedBy)}${e.resolvedAt === null ? '' : ` at ${formatTime(e.resolvedAt)}`}${
          e.resolutionReason === null ? '' : `: ${e.resolutionReason}`
        }`;
  const details = detailTable(
    [
      ['Level', `${formatLevel(e.level)} (${LEVEL_NAME[e.level]})`],
      ['Assignee', formatActor(e.assignee)],
      ['Trigger', e.trigger],
      ['Status', status(e.status, paint)],
      ['Run', e.runId ?? '-'],
      ['Stage', e.stageId ?? '-'],
      ['Task', e.taskId ?? '-'],
      ['Agent', e.agentId ?? '-'],
      ['Raised', `${formatTime(e.raisedAt)} (${formatAge(e.raisedAt, now)})`],
      ['Updated', `${formatTime(e.updatedAt)} (${formatAge(e.updatedAt, now)})`],
      ['Resolution', resolution],
    ],
    paint,
  );
  return [format, details].join('\n');
}

/**
 * What is done about a conflict: the resolution once resolved (`reassign → MCT-BE-002`); while
 * open, what the scheduler does on its own (`auto: queue`), or `needs decision` when it waits for
 * a person (no auto-resolution, or one that can no longer apply).
 */
export function conflictHandling(c: ConflictView, paint: Paint = plain): string {
  if (c.status === 'resolved') {
    const what = c.resolution ?? '-';
    return c.reassignTo === null ? what : `${what} → ${c.reassignTo}`;
  }
  if (c.needsDecision || c.autoResolution === null) return paint('needs decision', 'busy');
  return paint(`auto: ${c.autoResolution}`, 'muted');
}

/** Up to three task ids, then how many more. */
function taskList(taskIds: readonly string[]): string {
  return taskIds.length > 3 ? `${taskIds.slice(0, 3).join(', ')} +${taskIds.length - 3} more` : taskIds.join(', ');
}

/** `conflicts list`. */
export function formatConflicts(list: readonly ConflictView[], now: Date, paint: Paint = plain): string {
  return listTable(list, 'No conflicts match.', ['ID', 'KIND', 'STATUS', 'RESOLUTION', 'TASKS', 'RUN', 'DETECTED', 'DESCRIPTION'], paint, (c) => [
    c.conflictId,
    c.kind,
    status(c.status, paint),
    conflictHandling(c, paint),
    taskList(c.taskIds),
    c.runId ?? '',
    formatAge(c.detectedAt, now),
    oneLine(c.description, 60),
  ]);
}

/** `notifications list`: one line per delivery, newest first. */
export function formatNotifications(list: readonly NotificationView[], now: Date, paint: Paint = plain): string {
  return listTable(list, 'No notifications match.', ['ID', 'CHANNEL', 'TO', 'TOPIC', 'STATUS', 'TRIES', 'RUN', 'TITLE', 'ERROR', 'REQUESTED'], paint, (n) => [
    n.deliveryId,
    `${n.channel} (${n.channelKind})`,
    oneLine(n.recipient, 32),
    n.source.topic,
    paint(n.status, n.status === 'dead_lettered' ? 'bad' : n.status === 'retrying' ? 'busy' : toneOf(n.status === 'delivered' ? 'success' : n.status)),
    `${n.attempts}/${n.maxAttempts}`,
    n.source.runId ?? '-',
    oneLine(n.title, 48),
    n.lastError === null || n.status === 'delivered' ? '' : oneLine(n.lastError, 40),
    formatAge(n.requestedAt, now),
  ]);
}

/** `notifications show`: who was told what, over which channel, and how it went. */
export function formatNotification(n: NotificationView, paint: Paint = plain): string {
  return detailTable(
    [
      ['Delivery', n.deliveryId],
      ['Status', paint(n.status, n.status === 'dead_lettered' ? 'bad' : n.status === 'delivered' ? 'good' : 'busy')],
      ['Channel', `${n.channel} (${n.channelKind})`],
      ['To', n.recipient],
      ['Title', n.title],
      ['Text', n.text],
      ['Severity', n.severity],
      ['Rule', n.ruleId],
      ['About', `${n.source.topic}: ${n.source.eventType} ${n.source.eventId} (${n.source.streamId})`],
      ['Attempts', `${n.attempts} of ${n.maxAttempts}`],
      ['Last error', n.lastError ?? '-'],
      ['Requested', formatTime(n.requestedAt)],
      ['Delivered', formatTime(n.deliveredAt)],
    ],
    paint,
  );
}
