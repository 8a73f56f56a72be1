import { contractAggregate } from '@baton/aggregate';
import { NotificationEventSchemas, notificationStreamId } from '@baton/contracts';
import type { NotificationCommand } from './notification.commands';
import { decide, evolve } from './notification.decider';
import type { NotificationEvent } from './notification.events';
import { initialNotificationState, type NotificationState } from './notification.state';

/** A delivery as the command kernel runs it: one `notification-<deliveryId>` stream each. */
export const notificationAggregate = contractAggregate<NotificationState, NotificationCommand, NotificationEvent>('notification', NotificationEventSchemas, {
  streamId: notificationStreamId,
  initialState: initialNotificationState,
  evolve,
  decide,
  correlationOf: (event, state) => (event.type === 'NotificationRequested' ? event.data.source.runId : state.status === 'none' ? null : state.requested.source.runId),
  defaultActor: { kind: 'service', id: 'notifier' },
});

/** Stored notification events read through the contract's schemas (every type at version 1). */
export const readNotificationEvent = notificationAggregate.read;
