import type { NotificationRequestedData, NotificationStatus } from '@baton/contracts';

/** Before the first event of a `notification-<deliveryId>` stream. */
export interface NoNotification {
  readonly status: 'none';
}

export interface RequestedNotification {
  readonly status: NotificationStatus;
  readonly requested: NotificationRequestedData;
  /** Attempts made so far (failed ones, and the one that delivered). */
  readonly attempts: number;
  /** Attempts allowed before dead-lettering (grows with each retry a person asks for). */
  readonly maxAttempts: number;
  readonly lastError: string | null;
  readonly updatedAt: string;
  readonly deliveredAt: string | null;
}

export type NotificationState = NoNotification | RequestedNotification;

export const initialNotificationState: NotificationState = Object.freeze({ status: 'none' });
