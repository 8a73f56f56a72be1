import type { NotificationEvent } from '@baton/contracts';

/** Every event of a `notification-<deliveryId>` stream (the contract's union). */
export type { NotificationEvent } from '@baton/contracts';

export type NotificationEventType = NotificationEvent['type'];
