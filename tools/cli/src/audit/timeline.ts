import { categoryOf, comparePositions, formatPosition, type Position, type RecordedEvent } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { table, toneOf, type Paint, plain, type Tone } from '../format';
import { actorLabel, clip, summarizeEvent } from './summary';

/** A stored event with the one-line summary `baton audit` adds. */
export type TimelineEvent = RecordedEvent & { readonly summary: string };

/** A run's whole history, as the event store has it, in global order. */
export interface RunTimeline {
  readonly runId: string;
  readonly events: readonly TimelineEvent[];
  /** Every stream read, run stream first. */
  readonly streams: readonly string[];
}

/** Categories scanned for a run's handoffs, escalations, conflicts, budget decisions and notifications (who was told what). */
export const RELATED_CATEGORIES = ['handoff', 'escalation', 'conflict', 'budget', 'notification'] as const;

/** How many related events to read per page of the scan. */
export const SCAN_PAGE = 1000;
/** How many streams to read at once. */
const READ_CONCURRENCY = 8;

type Data = Readonly<Record<string, unknown>>;

function rec(v: unknown): Data {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Data) : {};
}

function addString(out: Set<string>, v: unknown): void {
  if (typeof v === 'string' && v !== '') out.add(v);
}

/**
 * The tasks of a run, from its own stream: the tasks each stage started (`StageStarted`,
 * `StageCleanupStarted`, `FailureStepsStarted`: `data.tasks[].taskId`), the approval tasks (`StageApprovalRequested`:
 * `data.taskIds`), and any task a stage reported finished.
 */
export function runTaskIds(runEvents: readonly Pick<RecordedEvent, 'type' | 'data'>[]): Set<string> {
  const ids = new Set<string>();
  for (const e of runEvents) {
    const d = rec(e.data);
    if (e.type === 'StageStarted' || e.type === 'StageCleanupStarted' || e.type === 'FailureStepsStarted') {
      for (const t of Array.isArray(d['tasks']) ? d['tasks'] : []) addString(ids, rec(t)['taskId']);
    } else if (e.type === 'StageApprovalRequested') {
      for (const t of Array.isArray(d['taskIds']) ? d['taskIds'] : []) addString(ids, t);
    } else if (e.type === 'StageTaskFinished') {
      addString(ids, d['taskId']);
    }
  }
  return ids;
}

/**
 * Whether an event of a handoff, escalation or conflict stream belongs to the run: its data
 * names the run (`runId`), its command was correlated to the run, or it is about one of the
 * run's tasks (`taskId`, or any of a conflict's `taskIds`).
 */
export function belongsToRun(event: Pick<RecordedEvent, 'data' | 'metadata'>, runId: string, taskIds: ReadonlySet<string>): boolean {
  const d = rec(event.data);
  if (d['runId'] === runId || event.metadata.correlationId === runId) return true;
  if (typeof d['taskId'] === 'string' && taskIds.has(d['taskId'])) return true;
  return Array.isArray(d['taskIds']) && d['taskIds'].some((t) => typeof t === 'string' && taskIds.has(t));
}

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/**
 * Reads a run's history straight from the event store (an auditor need not trust the
 * services): the `run-<runId>` stream, the `task-<id>` streams of its tasks, and every
 * handoff, escalation and conflict stream with an event that belongs to it (found by scanning
 * those categories; a matching stream is then read whole). Undefined when the run stream does
 * not exist. Events come back merged in global position order, each with its summary.
 */
export async function collectRunTimeline(store: EventStore, runId: string, pageSize = SCAN_PAGE): Promise<RunTimeline | undefined> {
  const runStream = `run-${runId}`;
  const runEvents = await store.readStream(runStream);
  if (runEvents.length === 0) return undefined;
  const taskIds = runTaskIds(runEvents);

  const related = new Set<string>();
  let after: Position | undefined;
  for (;;) {
    const page = await store.readAll({ maxCount: pageSize, filter: { categories: [...RELATED_CATEGORIES] }, ...(after === undefined ? {} : { after }) });
    for (const e of page) if (!related.has(e.streamId) && belongsToRun(e, runId, taskIds)) related.add(e.streamId);
    const last = page.at(-1);
    if (page.length < pageSize || last === undefined) break;
    after = last.position;
  }

  const taskStreams = [...taskIds].sort().map((id) => `task-${id}`);
  const relatedStreams = [...related].sort();
  const others = await inBatches([...taskStreams, ...relatedStreams], READ_CONCURRENCY, (s) => store.readStream(s));
  const seen = new Set<string>();
  const events: TimelineEvent[] = [];
  for (const e of [runEvents, ...others].flat()) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    events.push({ ...e, summary: summarizeEvent(e) });
  }
  events.sort((a, b) => comparePositions(a.position, b.position) || a.streamId.localeCompare(b.streamId) || a.revision - b.revision);
  const streams = [runStream, ...taskStreams.filter((_, i) => (others[i]?.length ?? 0) > 0), ...relatedStreams];
  return { runId, events, streams };
}

/** `2026-11-22 10:00:01.250` (UTC), or `-`. */
export function formatTimeMs(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().replace('T', ' ').slice(0, 23);
}

const TYPE_TONE: readonly (readonly [RegExp, Tone])[] = [
  [/(Failed|Rejected|Cancelled|Breached|HandoffRejected)$/, 'bad'],
  [/(Completed|Approved|Accepted|Resolved)$/, 'good'],
  [/(Escalated|EscalationRaised|LevelRaised|Blocked|ReworkRequested|ApprovalRequested|Detected|Paused)$/, 'busy'],
];

function typeTone(type: string): Tone {
  return TYPE_TONE.find(([re]) => re.test(type))?.[1] ?? toneOf(type);
}

/** Widest summary shown in the table (`--json` has the whole text). */
export const TABLE_SUMMARY_MAX = 200;

/** `baton audit <runId>`: one row per event, then what was read. */
export function formatTimeline(t: RunTimeline, paint: Paint = plain): string {
  const rows = t.events.map((e) => [
    formatPosition(e.position),
    formatTimeMs(e.metadata.occurredAt),
    `${e.streamId}@${e.revision}`,
    paint(e.type, typeTone(e.type)),
    actorLabel(e.metadata.actor),
    clip(e.summary, TABLE_SUMMARY_MAX),
  ]);
  const count = (category: string): number => t.streams.filter((s) => categoryOf(s) === category).length;
  const footer = `${t.events.length} events from ${t.streams.length} streams: run-${t.runId}, ${count('task')} task, ${count('handoff')} handoff, ${count('escalation')} escalation, ${count(
    'conflict',
  )} conflict and ${count('notification')} notification streams`;
  return [table(['POSITION', 'TIME', 'STREAM@REV', 'EVENT', 'ACTOR', 'SUMMARY'], rows, paint), footer].join('\n');
}
