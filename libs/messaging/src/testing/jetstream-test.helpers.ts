import { createHash, randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { RecordedEvent } from '@baton/contracts';
import { testNatsAuth, testNatsUrl } from '@baton/testing';
import { ensureEventStreams } from '../event-streams';

/** Test-only: a connection named `name` to the test NATS server, its JetStream client and manager, with the Baton event streams in place. */
export async function connectTestJetStream(name: string): Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> {
  const nc = await connect({ servers: testNatsUrl(), ...testNatsAuth(), name });
  const jsm = await jetstreamManager(nc);
  await ensureEventStreams(jsm);
  return { nc, js: jetstream(nc), jsm };
}

/** Test-only: a well-formed recorded event of stream `<category>-<id>`. */
export function makeRecordedEvent(streamId: string, revision: number, overrides: Partial<RecordedEvent> = {}): RecordedEvent {
  const hash = createHash('sha256').update(`${streamId}/${revision}`).digest('hex');
  return {
    eventId: randomUUID(),
    type: 'TestHappened',
    schemaVersion: 1,
    streamId,
    revision,
    position: { commit: revision + 1, prepare: 0 },
    data: { n: revision },
    metadata: { occurredAt: '2026-11-22T00:00:00.000Z' },
    prevHash: '0'.repeat(64),
    hash,
    ...overrides,
  };
}

/** Test-only: number of messages stored in `stream` on subjects matching `filter`. */
export async function countMessages(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** Test-only: every message stored in `stream` on `filter`, read with an ordered consumer. */
export async function readMessages(js: JetStreamClient, jsm: JetStreamManager, stream: string, filter: string): Promise<JsMsg[]> {
  const total = await countMessages(jsm, stream, filter);
  if (total === 0) return [];
  const consumer = await js.consumers.get(stream, { filter_subjects: [filter] });
  const out: JsMsg[] = [];
  const iter = await consumer.consume({ max_messages: 500 });
  for await (const m of iter) {
    out.push(m);
    if (m.info.pending === 0) break;
  }
  await iter.close();
  return out;
}
