import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM, formatPosition, runStreamId, Subjects, type RecordedEvent } from '@baton/contracts';
import { EventHeaders } from '@baton/messaging';

/** One event of a run's audit timeline. */
export interface TimelineEntry {
  readonly position: string;
  readonly occurredAt: string;
  readonly streamId: string;
  readonly type: string;
  readonly actor: string | null;
  /** The fields of the event's data a person looks for first (stage, task, agent, reason, …). */
  readonly details: string;
  /** Whether it is an event of the run's own stream (replay positions are those). */
  readonly ofRun: boolean;
}

export interface Timeline {
  readonly entries: readonly TimelineEntry[];
  /** True when the scan stopped at its bound before reaching the end of the stream. */
  readonly truncated: boolean;
}

/** Data fields shown in a timeline line, in this order. */
const SHOWN = ['stageId', 'taskId', 'agentId', 'status', 'outcome', 'verdict', 'percent', 'message', 'reason', 'resolution', 'error'] as const;

function detailsOf(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const d = data as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of SHOWN) {
    const v = d[key];
    if (v === undefined || v === null || v === '') continue;
    const text = typeof v === 'object' ? (typeof (v as { message?: unknown }).message === 'string' ? (v as { message: string }).message : JSON.stringify(v)) : String(v);
    parts.push(`${key}: ${text.length > 160 ? `${text.slice(0, 157)}…` : text}`);
  }
  return parts.join(' · ');
}

export interface TimelineOptions {
  /** When the run started; the scan begins a little before. */
  readonly since: string;
  /** Most messages scanned (the stream holds every service's events). Default 50,000. */
  readonly maxScanned?: number;
}

/**
 * A run's audit timeline as the event stream relayed it: the run's own events and every event
 * whose command was correlated to the run (its tasks, handoffs, escalations, conflicts), in
 * global order. The gateway reaches the store only through NATS, so it reads the stream (which
 * keeps every event) from the run's start to its current end, with a bound on what it scans.
 */
export async function runTimeline(nc: NatsConnection, runId: string, options: TimelineOptions): Promise<Timeline> {
  const info = await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM);
  const lastSeq = info.state.last_seq;
  const entries: TimelineEntry[] = [];
  const own = runStreamId(runId);
  const start = new Date(Date.parse(options.since) - 2000);
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, {
    filter_subjects: [Subjects.allEvents],
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: (Number.isNaN(start.getTime()) ? new Date(0) : start).toISOString(),
  });
  const max = options.maxScanned ?? 50_000;
  let scanned = 0;
  let seq = 0;
  try {
    while (seq < lastSeq && scanned < max) {
      const batch = await consumer.fetch({ max_messages: Math.min(1000, max - scanned), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        scanned++;
        seq = m.seq;
        const streamId = m.headers?.get(EventHeaders.streamId) ?? '';
        if (streamId !== own && m.headers?.get(EventHeaders.correlationId) !== runId) continue;
        let e: RecordedEvent;
        try {
          e = m.json<RecordedEvent>();
        } catch {
          continue;
        }
        const actor = e.metadata.actor;
        entries.push({
          position: formatPosition(e.position),
          occurredAt: e.metadata.occurredAt,
          streamId: e.streamId,
          type: e.type,
          actor: actor ? `${actor.kind}:${actor.id}` : null,
          details: detailsOf(e.data),
          ofRun: e.streamId === own,
        });
      }
      if (got === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return { entries, truncated: seq < lastSeq && scanned >= max };
}
