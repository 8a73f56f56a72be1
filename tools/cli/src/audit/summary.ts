import { formatDuration } from '../format';

/**
 * One line per stored event for `baton audit`: what happened, to which stage/task/agent, with
 * what outcome and why. Pure, and defensive: the store is read directly, so `data` is whatever
 * was written; a missing or oddly typed field is left out, never thrown on.
 */

/** The part of a recorded event the summary reads. */
export interface SummarizedEvent {
  readonly type: string;
  readonly data: unknown;
}

type Data = Readonly<Record<string, unknown>>;

function rec(v: unknown): Data {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Data) : {};
}

function str(d: Data, key: string): string | undefined {
  const v = d[key];
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function num(d: Data, key: string): number | undefined {
  const v = d[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function list(d: Data, key: string): readonly unknown[] {
  const v = d[key];
  return Array.isArray(v) ? v : [];
}

function strings(d: Data, key: string): string[] {
  return list(d, key).filter((x): x is string => typeof x === 'string' && x !== '');
}

/** Shortens free text (reasons, issues, errors) to one line of at most `max` characters. */
export function clip(text: string, max = 100): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** `human:alice`, `service:scheduler`; `-` when there is none. */
export function actorLabel(actor: unknown): string {
  const a = rec(actor);
  const kind = str(a, 'kind');
  const id = str(a, 'id');
  if (kind !== undefined && id !== undefined) return `${kind}:${id}`;
  return id ?? (typeof actor === 'string' && actor !== '' ? actor : '-');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** ` (iteration 2)` for a stage that runs again; nothing the first time. */
function iteration(d: Data): string {
  const i = num(d, 'iteration');
  return i !== undefined && i > 1 ? ` (iteration ${i})` : '';
}

function stage(d: Data): string {
  return `stage ${str(d, 'stageId') ?? '?'}${iteration(d)}`;
}

function because(text: string | undefined, max = 100): string {
  return text === undefined ? '' : `: ${clip(text, max)}`;
}

function names(values: readonly string[], max = 3): string {
  return values.length <= max ? values.join(', ') : `${values.slice(0, max).join(', ')}, … (${values.length})`;
}

function taskSpecs(d: Data): string {
  const tasks = list(d, 'tasks').map(rec);
  if (tasks.length === 0) return 'no tasks';
  const shown = tasks.map((t) => `${str(t, 'taskId') ?? '?'} → ${str(t, 'agent') ?? str(rec(t['requirement']), 'agentId') ?? '?'}`);
  return `${plural(tasks.length, 'task')} (${names(shown)})`;
}

function requirement(d: Data): string {
  const r = rec(d['requirement']);
  const agent = str(r, 'agentId');
  if (agent !== undefined) return agent;
  const role = str(r, 'role');
  const caps = strings(r, 'capabilities');
  const parts = [...(role === undefined ? [] : [`role ${role}`]), ...(caps.length === 0 ? [] : [`capabilities ${names(caps)}`])];
  return parts.length === 0 ? 'any agent' : parts.join(', ');
}

/** `2 rule failures; first: user_stories has 0 items…`. */
export function ruleFailures(d: Data): string {
  const failures = list(d, 'failures').map(rec);
  if (failures.length === 0) return 'no rule failures';
  const first = failures[0] ?? {};
  const what = str(first, 'message') ?? str(first, 'rule') ?? '?';
  return `${plural(failures.length, 'rule failure')}; first: ${clip(what, 80)}`;
}

function specs(d: Data): string {
  const ids = strings(d, 'specIds');
  return ids.length === 0 ? '' : ` [${names(ids)}]`;
}

function nextPlan(d: Data): string {
  const next = rec(d['next']);
  const ready = strings(next, 'ready');
  const waiting = strings(next, 'waiting');
  const parts = [...(ready.length === 0 ? [] : [`next ${names(ready)}`]), ...(waiting.length === 0 ? [] : [`waiting ${names(waiting)}`])];
  return parts.length === 0 ? '' : `; ${parts.join('; ')}`;
}

function openTasks(d: Data): string {
  const n = strings(d, 'openTaskIds').length;
  return n === 0 ? '' : ` (${plural(n, 'open task')} cancelled)`;
}

function level(v: unknown): string | undefined {
  return typeof v === 'number' ? `L${v}` : typeof v === 'string' && v !== '' ? (/^L/i.test(v) ? v.toUpperCase() : `L${v}`) : undefined;
}

function outputsOf(d: Data): string {
  const keys = Object.keys(rec(d['outputs']));
  return keys.length === 0 ? '' : `; outputs ${names(keys)}`;
}

function findings(d: Data): string {
  const n = list(d, 'findings').length;
  return n === 0 ? '' : `; ${plural(n, 'finding')}`;
}

/** Summaries by event type: run, task, handoff, escalation, conflict and notification streams. */
const SUMMARIES: Readonly<Record<string, (d: Data) => string>> = {
  // notification-<deliveryId>: who was told what, and whether it arrived
  NotificationRequested: (d) => `notify ${str(d, 'recipient') ?? '?'} by ${str(d, 'channel') ?? '?'}: ${clip(str(d, 'title') ?? '', 80)} [${str(d, 'deliveryId') ?? '?'}]`,
  NotificationDelivered: (d) => `notification ${str(d, 'deliveryId') ?? '?'} delivered (attempt ${num(d, 'attempt') ?? '?'})`,
  NotificationDeliveryFailed: (d) =>
    `notification ${str(d, 'deliveryId') ?? '?'} attempt ${num(d, 'attempt') ?? '?'} failed${because(str(d, 'error'), 80)}${d['willRetry'] === true ? '; will retry' : ''}`,
  NotificationDeadLettered: (d) => `notification ${str(d, 'deliveryId') ?? '?'} dead-lettered after ${plural(num(d, 'attempts') ?? 0, 'attempt')}${because(str(d, 'lastError'), 80)}`,
  NotificationRetryRequested: (d) => `notification ${str(d, 'deliveryId') ?? '?'} retry requested by ${actorLabel(d['by'])}${because(str(d, 'reason'))}`,
  // run-<runId>
  RunStarted: (d) => {
    const params = Object.entries(rec(d['params']));
    const shownParams = params.length === 0 ? '' : `; params ${clip(params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '), 60)}`;
    const trigger = str(rec(d['trigger']), 'type');
    const rerunOf = rec(d['rerunOf']);
    const rerun = str(rerunOf, 'runId') === undefined ? '' : `; rerun of ${str(rerunOf, 'runId')} from stage ${str(rerunOf, 'fromStage') ?? '?'}`;
    return `run of ${str(d, 'workflowId') ?? '?'} v${str(d, 'version') ?? '?'} started (${str(d, 'priority') ?? '?'})${trigger === undefined ? '' : `; trigger ${trigger}`}${shownParams}${rerun}`;
  },
  StageStarted: (d) => {
    const sla = num(d, 'slaMs');
    return `${stage(d)} started: ${taskSpecs(d)}${sla === undefined ? '' : `; SLA ${formatDuration(sla)}`}`;
  },
  StageTaskFinished: (d) => {
    const agent = str(d, 'agentId');
    return `${stage(d)}: task ${str(d, 'taskId') ?? '?'} ${str(d, 'status') ?? 'finished'}${agent === undefined ? '' : ` (${agent})`}${because(str(d, 'error'), 80)}`;
  },
  StageCompleted: (d) => {
    const outcome = str(d, 'outcome');
    const cleanupFailed = strings(d, 'cleanupFailed');
    return `${stage(d)} completed${outcome === undefined ? '' : ` → ${outcome}`}${cleanupFailed.length === 0 ? '' : `; cleanup failed: ${names(cleanupFailed)}`}${nextPlan(d)}`;
  },
  StageCleanupStarted: (d) => {
    const steps = list(d, 'tasks').map(rec).map((t) => str(t, 'action') ?? '?');
    return `${stage(d)} cleanup started${steps.length === 0 ? '' : ` (${names(steps)})`}: ${taskSpecs(d)}`;
  },
  StageFailed: (d) => `${stage(d)} failed${because(str(d, 'error'))}${nextPlan(d)}`,
  StageSkipped: (d) => `stage ${str(d, 'stageId') ?? '?'} skipped${because(str(d, 'reason'))}`,
  StageSlaBreached: (d) => {
    const sla = num(d, 'slaMs');
    return `${stage(d)} ran past its SLA${sla === undefined ? '' : ` of ${formatDuration(sla)}`}`;
  },
  FailureStepsStarted: (d) => {
    const s = str(d, 'stageId');
    const notes = list(d, 'notifications').map(rec).map((n) => `${str(n, 'channel') ?? '?'}${str(n, 'target') === undefined ? '' : `:${str(n, 'target')}`}`);
    return `failure steps${s === undefined ? '' : ` after stage ${s}`}${because(str(d, 'reason'), 60)}; ${taskSpecs(d)}${notes.length === 0 ? '' : `; notify ${names(notes)}`}`;
  },
  RunCompleted: () => 'run completed',
  RunFailed: (d) => {
    const s = str(d, 'stageId');
    return `run failed${s === undefined ? '' : ` at stage ${s}`}${because(str(d, 'error'))}${openTasks(d)}`;
  },
  RunCancelled: (d) => `run cancelled${because(str(d, 'reason'))}${openTasks(d)}`,
  RunPaused: (d) => `run paused${because(str(d, 'reason'))}`,
  RunResumed: () => 'run resumed',
  StageReused: (d) => `stage ${str(d, 'stageId') ?? '?'} ${str(d, 'status') === 'skipped' ? 'skipped' : 'reused'} from run ${str(d, 'sourceRunId') ?? '?'}${outputsOf(d)}`,
  RunRerunStarted: (d) => `rerun ${str(d, 'rerunRunId') ?? '?'} started from stage ${str(d, 'fromStage') ?? '?'} by ${actorLabel(d['requestedBy'])}${because(str(d, 'reason'))}`,
  RunSlaBreached: (d) => {
    const sla = num(d, 'slaMs');
    return `run ran past its SLA${sla === undefined ? '' : ` of ${formatDuration(sla)}`}`;
  },
  StageApprovalRequested: (d) => {
    const when = str(d, 'when') === 'before' ? 'before it runs' : 'of its work';
    const approvers = strings(d, 'approvers');
    const tasks = strings(d, 'taskIds');
    const kind = str(d, 'kind');
    return `${stage(d)} awaits ${kind === undefined ? '' : `${kind} `}approval ${when}${approvers.length === 0 ? '' : ` from ${names(approvers)}`} (reason: ${str(d, 'reason') ?? '?'})${
      tasks.length === 0 ? '' : `; ${plural(tasks.length, 'approval task')}`
    }`;
  },
  StageApproved: (d) => `${stage(d)} approved by ${actorLabel(d['by'])}${because(str(d, 'reason'))}`,
  StageRejected: (d) => {
    const n = num(d, 'rejections');
    return `${stage(d)} rejected by ${actorLabel(d['by'])}${n === undefined ? '' : ` (rejection ${n})`}${because(str(d, 'reason'))}${findings(d)}`;
  },
  StageReworkRequested: (d) => {
    const feedback = rec(d['feedback']);
    const n = num(d, 'rejections');
    const back = strings(d, 'backTo');
    return `${stage(d)} sends work back to ${back.length === 0 ? '?' : names(back)}${n === undefined ? '' : ` (rejection ${n})`}, by ${actorLabel(feedback['by'])}${because(
      str(feedback, 'reason'),
    )}${findings(feedback)}`;
  },
  StageEscalated: (d) => {
    const n = num(d, 'rejections');
    const why = [str(d, 'trigger'), n === undefined ? undefined : plural(n, 'rejection')].filter((x) => x !== undefined).join(', ');
    return `${stage(d)} escalated to a human${why === '' ? '' : ` (${why})`}${because(str(d, 'issue'))}`;
  },

  // task-<taskId>
  TaskCreated: (d) => {
    const attempt = num(d, 'attempt');
    const s = str(d, 'stageId');
    return `task ${str(d, 'taskId') ?? '?'} created: ${str(d, 'action') ?? '?'} for ${requirement(d)} (${str(d, 'priority') ?? '?'}${
      attempt !== undefined && attempt > 1 ? `, attempt ${attempt}` : ''
    })${s === undefined ? '' : `, stage ${s}`}`;
  },
  TaskAssigned: (d) => {
    const prev = str(d, 'previousAgentId');
    return `assigned to ${str(d, 'agentId') ?? '?'} (lease ${str(d, 'leaseEpoch') ?? '?'})${prev === undefined ? '' : `, taken from ${prev}`}`;
  },
  TaskAccepted: (d) => `accepted by ${str(d, 'agentId') ?? '?'}`,
  TaskProgressReported: (d) => {
    const tokens = num(d, 'tokensUsed');
    return `${str(d, 'agentId') ?? '?'} at ${str(d, 'percent') ?? '?'}%${because(str(d, 'message'), 60)}${tokens === undefined ? '' : ` (${tokens} tokens)`}`;
  },
  TaskBlocked: (d) => `blocked (${str(d, 'agentId') ?? '?'})${because(str(d, 'reason'))}`,
  TaskUnblocked: (d) => `unblocked (${str(d, 'agentId') ?? '?'})`,
  TaskCompleted: (d) => {
    const ms = num(d, 'durationMs');
    return `completed by ${str(d, 'agentId') ?? '?'}${ms === undefined ? '' : ` in ${formatDuration(ms)}`}${outputsOf(d)}`;
  },
  TaskFailed: (d) => {
    const error = rec(d['error']);
    const code = str(error, 'code');
    const agent = str(d, 'agentId');
    return `failed${agent === undefined ? '' : ` (${agent})`}${because(str(error, 'message') ?? str(d, 'error'))}${code === undefined ? '' : ` [${code}]`}; ${
      d['final'] === true ? 'final' : 'will be retried'
    }`;
  },
  TaskReleased: (d) => `released from ${str(d, 'agentId') ?? '?'}: ${str(d, 'reason') ?? '?'}`,
  TaskCancelled: (d) => `cancelled${because(str(d, 'reason'))}`,
  TaskHandoffRejected: (d) => {
    const n = num(d, 'rejections');
    return `completion refused by handoff ${str(d, 'handoffId') ?? '?'}${n === undefined ? '' : ` (rejection ${n})`}: ${ruleFailures(d)}`;
  },

  // handoff-<handoffId>
  HandoffSubmitted: (d) => {
    const to = strings(d, 'toAgentIds');
    const artifacts = list(d, 'artifacts')
      .map(rec)
      .map((a) => str(a, 'name') ?? '?');
    const s = str(d, 'stageId');
    return `handoff of task ${str(d, 'taskId') ?? '?'}${s === undefined ? '' : ` (stage ${s})`} from ${str(d, 'fromAgentId') ?? '?'}${to.length === 0 ? '' : ` to ${names(to)}`}: ${plural(
      artifacts.length,
      'artifact',
    )}${artifacts.length === 0 ? '' : ` (${names(artifacts)})`}${specs(d)}`;
  },
  HandoffAccepted: (d) => `handoff of task ${str(d, 'taskId') ?? '?'} accepted: ${plural(num(d, 'rulesChecked') ?? 0, 'rule')} checked${specs(d)}`,
  HandoffRejected: (d) => `handoff of task ${str(d, 'taskId') ?? '?'} rejected (${plural(num(d, 'rulesChecked') ?? 0, 'rule')} checked)${specs(d)}: ${ruleFailures(d)}`,

  // escalation-<escalationId>
  EscalationRaised: (d) => {
    const stageId = str(d, 'stageId') ?? str(d, 'workflowStage');
    const taskId = str(d, 'taskId');
    const conflictId = str(d, 'conflictId');
    const where = [
      ...(stageId === undefined ? [] : [`stage ${stageId}`]),
      ...(taskId === undefined ? [] : [`task ${taskId}`]),
      ...(conflictId === undefined ? [] : [`conflict ${conflictId}`]),
    ];
    const trigger = str(d, 'trigger');
    return `${level(d['level']) ?? 'L?'} escalation${trigger === undefined ? '' : ` (${trigger})`} to ${actorLabel(d['assignee'])}${where.length === 0 ? '' : `, ${where.join(', ')}`}${because(
      str(d, 'issue'),
    )}`;
  },
  EscalationLevelRaised: (d) => {
    const from = level(d['from'] ?? d['fromLevel']);
    const to = level(d['to'] ?? d['level']) ?? 'L?';
    return `escalated ${from === undefined ? '' : `${from} → `}${to} to ${actorLabel(d['assignee'])}${because(str(d, 'reason'))}`;
  },
  EscalationResolved: (d) => {
    const to = str(d, 'reassignTo');
    return `${str(d, 'resolution') ?? 'resolved'} by ${actorLabel(d['by'] ?? d['resolvedBy'])}${to === undefined ? '' : ` to ${to}`}${because(str(d, 'reason'))}`;
  },

  // conflict-<conflictId>
  ConflictDetected: (d) => {
    const auto = str(d, 'autoResolution');
    return `${str(d, 'kind') ?? '?'} conflict on ${names(strings(d, 'taskIds')) || '?'}${because(str(d, 'description'))}${auto === undefined ? '; needs a decision' : `; auto ${auto}`}`;
  },
  ConflictResolved: (d) => {
    const to = str(d, 'reassignTo');
    return `${str(d, 'kind') ?? '?'} conflict resolved: ${str(d, 'resolution') ?? '?'} by ${actorLabel(d['by'])}${to === undefined ? '' : ` to ${to}`}${because(str(d, 'reason'))}`;
  },
};

/** Event types the summarizer knows by name. */
export const SUMMARIZED_EVENT_TYPES: readonly string[] = Object.keys(SUMMARIES);

const FALLBACK_FIELDS = ['stageId', 'taskId', 'agentId', 'status', 'outcome', 'resolution', 'reason', 'error', 'message'];

/** For an event type it does not know: the usual fields, `key=value`. */
function fallback(d: Data): string {
  const parts = FALLBACK_FIELDS.flatMap((k) => {
    const v = str(d, k);
    return v === undefined ? [] : [`${k}=${clip(v, 60)}`];
  });
  return parts.length === 0 ? '' : parts.join(' ');
}

/** One line that says what the event records. */
export function summarizeEvent(event: SummarizedEvent): string {
  const d = rec(event.data);
  const summarize = Object.hasOwn(SUMMARIES, event.type) ? SUMMARIES[event.type] : undefined;
  if (summarize === undefined) return fallback(d);
  try {
    return summarize(d);
  } catch {
    return fallback(d);
  }
}
