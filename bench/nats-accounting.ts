/**
 * Counting bus traffic for bench:dispatch: the server's /varz totals, the other clients on a
 * server (their traffic is in /varz too), and which kind of traffic one message is (for the
 * per-lifecycle wire tap).
 */
import type { Msg } from '@nats-io/transport-node';

export interface VarzTotals {
  readonly inMsgs: number;
  readonly outMsgs: number;
  readonly inBytes: number;
  readonly outBytes: number;
}

export async function varz(monitorUrl: string): Promise<VarzTotals> {
  const v = (await (await fetch(`${monitorUrl}/varz`)).json()) as { in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number };
  return { inMsgs: v.in_msgs, outMsgs: v.out_msgs, inBytes: v.in_bytes, outBytes: v.out_bytes };
}

/** Other clients on the server: connection names, those containing `ours` left out. */
export async function otherConnections(monitorUrl: string, ours: string): Promise<string[]> {
  try {
    const c = (await (await fetch(`${monitorUrl}/connz?limit=1024`)).json()) as { connections?: { name?: string }[] };
    return (c.connections ?? []).map((x) => x.name ?? '(unnamed)').filter((n) => !n.includes(ours));
  } catch {
    return [];
  }
}

/** Which kind of bus traffic a message is, for the per-task message accounting. */
export function subjectClass(m: Msg): string {
  const s = m.subject;
  // JetStream deliveries keep the stored message's subject; the ack subject tells them apart.
  if (m.reply?.startsWith('$JS.ACK.')) return `JetStream delivery (${s.startsWith('baton.agent.') ? 'agent inbox' : s.split('.').slice(0, 3).join('.')})`;
  if (s.startsWith('baton.cmd.')) return `cmd ${s.slice('baton.cmd.'.length)}`;
  if (s.startsWith('baton.qry.')) return `qry ${s.slice('baton.qry.'.length)}`;
  if (/^baton\.agent\.[^.]+\.inbox$/.test(s)) return 'inbox publish (JetStream store)';
  if (s.startsWith('baton.evt.task.')) return 'task event publish (relay, JetStream store)';
  if (s.startsWith('baton.evt.')) return 'other event publish';
  if (s.startsWith('baton.agent.')) return `agent ${s.split('.').slice(3).join('.')}`;
  if (s.startsWith('$JS.ACK.')) return 'JetStream ack (consumer ack)';
  if (s.startsWith('$JS.API.CONSUMER.MSG.NEXT.')) return 'JetStream pull request';
  if (s.startsWith('$JS.API.')) return `JetStream API ${s.split('.').slice(2, 4).join('.')}`;
  if (s.startsWith('$JS.EVENT.')) return 'JetStream advisory';
  if (s.startsWith('$JS.FC.')) return 'JetStream flow control';
  if (s.startsWith('_INBOX.')) {
    if (m.headers?.get('Nats-Pending-Messages') || m.headers?.code === 408 || m.headers?.code === 409 || m.headers?.code === 100) return 'JetStream pull status / heartbeat';
    return 'reply (request/reply, PubAck)';
  }
  if (s.startsWith('bench.')) return 'bench baseline';
  return 'other';
}
