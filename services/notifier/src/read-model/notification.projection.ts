import type { RecordedEvent } from '@baton/contracts';
import { occurredAtOf } from '@baton/read-models';
import type { Transaction } from 'kysely';
import { readNotificationEvent } from '../domain';
import type { NotifierDatabase } from './notifier.tables';

/** Name of the deliveries projection (its checkpoint row in `baton_notifier.projection_checkpoints`). */
export const NOTIFICATIONS_PROJECTION = 'notifications';

/** Events the projection reads (and the relay publishes): every event of `notification-*` streams. */
export const NOTIFICATIONS_FILTER = { categories: ['notification'] } as const;

const T = 'baton_notifier.notifications' as const;
const Q = 'baton_notifier.queue' as const;

async function enqueue(trx: Transaction<NotifierDatabase>, deliveryId: string, channel: string): Promise<void> {
  await trx
    .insertInto(Q)
    .values({ delivery_id: deliveryId, channel, claimed_by: null, claimed_until: null })
    .onConflict((oc) => oc.column('delivery_id').doUpdateSet({ claimed_by: null, claimed_until: null }))
    .execute();
}

/**
 * The apply function of the deliveries projection: one notification event to
 * `baton_notifier.notifications`, and the dispatch queue in the same transaction: a request or a
 * retry queues the delivery, delivered or dead-lettered takes it out. A rebuild therefore queues
 * exactly the deliveries that are still owed.
 */
export async function applyNotificationEvent(trx: Transaction<NotifierDatabase>, recorded: RecordedEvent): Promise<void> {
  const event = readNotificationEvent(recorded);
  const at = occurredAtOf(recorded);
  const patch = (deliveryId: string, values: Partial<Record<'status' | 'attempts' | 'max_attempts' | 'last_error' | 'delivered_at', unknown>>) =>
    trx
      .updateTable(T)
      .set({ ...(values as object), updated_at: at, revision: recorded.revision })
      .where('delivery_id', '=', deliveryId)
      .execute();
  switch (event.type) {
    case 'NotificationRequested': {
      const d = event.data;
      await trx
        .insertInto(T)
        .values({
          delivery_id: d.deliveryId,
          rule_id: d.ruleId,
          channel: d.channel,
          channel_kind: d.channelKind,
          recipient: d.recipient,
          title: d.title,
          text: d.text,
          severity: d.severity,
          source: JSON.stringify(d.source),
          topic: d.source.topic,
          run_id: d.source.runId,
          status: 'pending',
          attempts: 0,
          max_attempts: d.maxAttempts,
          last_error: null,
          requested_at: new Date(d.requestedAt),
          updated_at: at,
          delivered_at: null,
          revision: recorded.revision,
        })
        .onConflict((oc) => oc.column('delivery_id').doNothing())
        .execute();
      await enqueue(trx, d.deliveryId, d.channel);
      return;
    }
    case 'NotificationDelivered':
      await patch(event.data.deliveryId, { status: 'delivered', attempts: event.data.attempt, delivered_at: new Date(event.data.deliveredAt) });
      await trx.deleteFrom(Q).where('delivery_id', '=', event.data.deliveryId).execute();
      return;
    case 'NotificationDeliveryFailed':
      await patch(event.data.deliveryId, { status: 'retrying', attempts: event.data.attempt, last_error: event.data.error });
      return;
    case 'NotificationDeadLettered':
      await patch(event.data.deliveryId, { status: 'dead_lettered', last_error: event.data.lastError });
      await trx.deleteFrom(Q).where('delivery_id', '=', event.data.deliveryId).execute();
      return;
    case 'NotificationRetryRequested': {
      await patch(event.data.deliveryId, { status: 'retrying', max_attempts: event.data.maxAttempts });
      const row = await trx.selectFrom(T).select('channel').where('delivery_id', '=', event.data.deliveryId).executeTakeFirst();
      if (row !== undefined) await enqueue(trx, event.data.deliveryId, row.channel);
      return;
    }
  }
}

/** Empties the read model and the queue before a rebuild. */
export async function resetNotifications(trx: Transaction<NotifierDatabase>): Promise<void> {
  await trx.deleteFrom(Q).execute();
  await trx.deleteFrom(T).execute();
}
