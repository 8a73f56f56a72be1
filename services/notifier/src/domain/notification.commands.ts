import type { CommandMetadata } from '@baton/aggregate';
import type { Actor, NotificationRequestedData } from '@baton/contracts';

type C<T extends string, D> = { readonly type: T; readonly data: D; readonly metadata: CommandMetadata };

/** Records a delivery the routing rules asked for. Idempotent by delivery id. */
export type RequestNotification = C<'RequestNotification', Omit<NotificationRequestedData, 'requestedAt'>>;

/** One attempt reached the receiver and was accepted. */
export type RecordDelivered = C<'RecordDelivered', { readonly deliveryId: string; readonly attempt: number; readonly response: string }>;

/** One attempt failed; `permanent` when the receiver refused for good. */
export type RecordDeliveryFailed = C<'RecordDeliveryFailed', { readonly deliveryId: string; readonly attempt: number; readonly error: string; readonly permanent: boolean }>;

/** A person asks for another round of attempts (`baton notifications retry`). */
export type RetryNotification = C<'RetryNotification', { readonly deliveryId: string; readonly by: Actor; readonly reason: string | null; readonly freshAttempts: number }>;

export type NotificationCommand = RequestNotification | RecordDelivered | RecordDeliveryFailed | RetryNotification;
