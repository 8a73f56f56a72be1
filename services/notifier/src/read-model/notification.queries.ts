import type { NotificationView } from '@baton/contracts';
import { sql, type Kysely } from 'kysely';
import type { NotificationRow, NotifierDatabase } from './notifier.tables';

const T = 'baton_notifier.notifications' as const;
const Q = 'baton_notifier.queue' as const;

/** A row of the deliveries read model as the contract's view. */
export function toView(row: NotificationRow): NotificationView {
  return {
    deliveryId: row.delivery_id,
    ruleId: row.rule_id,
    channel: row.channel,
    channelKind: row.channel_kind as NotificationView['channelKind'],
    recipient: row.recipient,
    title: row.title,
    text: row.text,
    severity: row.severity as NotificationView['severity'],
    source: row.source,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    requestedAt: row.requested_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

export async function getNotification(db: Kysely<NotifierDatabase>, deliveryId: string): Promise<NotificationRow | undefined> {
  return db.selectFrom(T).selectAll().where('delivery_id', '=', deliveryId).executeTakeFirst();
}

export interface NotificationFilter {
  readonly status?: NotificationView['status'];
  readonly failed?: boolean;
  readonly runId?: string;
  readonly channel?: string;
  readonly limit: number;
}

/** Deliveries, newest first; `failed` keeps those with a failed attempt that are not delivered. */
export async function listNotifications(db: Kysely<NotifierDatabase>, f: NotificationFilter): Promise<NotificationRow[]> {
  let q = db.selectFrom(T).selectAll();
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.failed === true) q = q.where('status', 'in', ['retrying', 'dead_lettered']);
  if (f.runId !== undefined) q = q.where('run_id', '=', f.runId);
  if (f.channel !== undefined) q = q.where('channel', '=', f.channel);
  return q.orderBy('requested_at', 'desc').orderBy('delivery_id').limit(f.limit).execute();
}

/** Deliveries by status and channel, for /metrics. */
export async function countByStatus(db: Kysely<NotifierDatabase>): Promise<{ channel: string; status: string; n: number }[]> {
  const rows = await db.selectFrom(T).select(['channel', 'status', sql<string>`count(*)`.as('n')]).groupBy(['channel', 'status']).execute();
  return rows.map((r) => ({ channel: r.channel, status: r.status, n: Number(r.n) }));
}

/**
 * Claims up to `limit` queued deliveries of `channel` that nobody holds (or whose holder's lease
 * ran out) until `until`, oldest first; replicas skip each other's rows.
 */
export async function claimQueued(db: Kysely<NotifierDatabase>, channel: string, owner: string, limit: number, now: Date, until: Date): Promise<NotificationRow[]> {
  if (limit <= 0) return [];
  const claimed = await db
    .updateTable(Q)
    .set({ claimed_by: owner, claimed_until: until })
    .where('delivery_id', 'in', (eb) =>
      eb
        .selectFrom(Q)
        .select('delivery_id')
        .where('channel', '=', channel)
        .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', now)]))
        .orderBy('seq')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning('delivery_id')
    .execute();
  if (claimed.length === 0) return [];
  const rows = await db.selectFrom(T).selectAll().where('delivery_id', 'in', claimed.map((c) => c.delivery_id)).execute();
  const order = new Map(claimed.map((c, i) => [c.delivery_id, i]));
  return rows.sort((a, b) => (order.get(a.delivery_id) ?? 0) - (order.get(b.delivery_id) ?? 0));
}

/** Extends this holder's lease on a delivery it is still working on. */
export async function renewClaim(db: Kysely<NotifierDatabase>, deliveryId: string, owner: string, until: Date): Promise<void> {
  await db.updateTable(Q).set({ claimed_until: until }).where('delivery_id', '=', deliveryId).where('claimed_by', '=', owner).execute();
}

/** Gives a delivery back to the queue (this holder stops without settling it). */
export async function releaseClaim(db: Kysely<NotifierDatabase>, deliveryId: string, owner: string): Promise<void> {
  await db.updateTable(Q).set({ claimed_by: null, claimed_until: null }).where('delivery_id', '=', deliveryId).where('claimed_by', '=', owner).execute();
}
