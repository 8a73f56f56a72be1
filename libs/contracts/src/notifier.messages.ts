import { z } from 'zod';
import { ActorSchema } from './envelope';
import { messagesOf, type EventsOf } from './messages';
import { RecordId, listQuery } from './shared-fields';

const notifierMessages = messagesOf('notifier');

/**
 * Notifications, owned by the notifier (`baton.cmd.notifier.*`, `baton.qry.notifier.*`). Each
 * delivery (one message to one recipient over one channel) is an aggregate of its own, kept in a
 * `notification-<deliveryId>` stream and relayed to `baton.evt.notification.<event>`, so the audit
 * shows who was told what, over which channel, and when.
 *
 * The delivery id is stable: derived from the event that caused it, the routing rule, the
 * channel and the recipient. Receivers get it on every attempt (the webhook's `webhook-id`, the
 * PagerDuty `dedup_key`, the email's Message-ID) and can drop repeats.
 */
/** The kinds of channel the notifier can deliver over. */
export const NotificationChannelKind = z.enum(['slack', 'webhook', 'email', 'pagerduty', 'console']);
export type NotificationChannelKind = z.infer<typeof NotificationChannelKind>;

/**
 * Where a delivery stands: `pending` (no attempt failed yet), `retrying` (an attempt failed and
 * another is due), `delivered`, `dead_lettered` (out of attempts, or refused for good; `retry`
 * sends it again).
 */
export const NotificationStatus = z.enum(['pending', 'retrying', 'delivered', 'dead_lettered']);
export type NotificationStatus = z.infer<typeof NotificationStatus>;

/** The event a notification is about. */
export const NotificationSource = z.object({
  eventId: z.string(),
  eventType: z.string(),
  streamId: z.string(),
  /** The topic the rule matched (`run.started`, `timeline.tests-passed`, `health.breached`, …). */
  topic: z.string(),
  runId: z.string().nullable(),
});
export type NotificationSource = z.infer<typeof NotificationSource>;

/** How urgent a notification is: `critical` ones may page. */
export const NotificationSeverity = z.enum(['info', 'warning', 'critical']);
export type NotificationSeverity = z.infer<typeof NotificationSeverity>;

export const NotificationRequestedV1 = z.object({
  deliveryId: z.string(),
  ruleId: z.string(),
  /** The channel's name in the routing rules (`slack`, `approvals-email`), and its kind. */
  channel: z.string(),
  channelKind: NotificationChannelKind,
  /** Who is told: a Slack channel label, an email address, a service, `console`. */
  recipient: z.string(),
  title: z.string(),
  text: z.string(),
  severity: NotificationSeverity,
  source: NotificationSource,
  /** Attempts before the delivery is dead-lettered. */
  maxAttempts: z.number().int().positive(),
  requestedAt: z.string(),
});
export type NotificationRequestedData = z.infer<typeof NotificationRequestedV1>;

/** A delivery as the read model has it: the request, and how its attempts went. */
export const NotificationView = NotificationRequestedV1.extend({
  status: NotificationStatus,
  attempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  updatedAt: z.string(),
  deliveredAt: z.string().nullable(),
});
export type NotificationView = z.infer<typeof NotificationView>;

export const GetNotification = notifierMessages.query('get-notification', z.strictObject({ deliveryId: RecordId }), NotificationView);

export const ListNotificationsV1 = listQuery({
  status: NotificationStatus.optional(),
  /** Only deliveries with a failed attempt that are not delivered (retrying or dead-lettered). */
  failed: z.boolean().default(false),
  runId: RecordId.optional(),
  channel: z.string().min(1).max(200).optional(),
});
export const ListNotifications = notifierMessages.query('list-notifications', ListNotificationsV1, z.object({ notifications: z.array(NotificationView) }));

/**
 * Sends a delivery again with a fresh budget of attempts: one that is dead-lettered, or still
 * retrying. Unknown id → NOT_FOUND; delivered → ILLEGAL_TRANSITION. The command's actor is
 * recorded on the event.
 */
export const RetryNotificationV1 = z.strictObject({
  deliveryId: RecordId,
  reason: z.string().min(1).max(2000).optional(),
});
export const RetryNotification = notifierMessages.command('retry-notification', RetryNotificationV1, NotificationView);

export const notificationStreamId = (deliveryId: string): string => `notification-${deliveryId}`;

// ---------------------------------------------------------------------------------------------
// Events of the `notification-<deliveryId>` stream (relayed to baton.evt.notification.<event>:
// requested, delivered, delivery-failed, dead-lettered, retry-requested). They never carry a
// secret: channels are named, never their URLs, keys or passwords.
// ---------------------------------------------------------------------------------------------

/** Which delivery, and which attempt at it (1 for the first): what an attempt's outcome opens with. */
const DeliveryAttemptFields = {
  deliveryId: z.string(),
  attempt: z.number().int().positive(),
};

export const NotificationDeliveredV1 = z.object({
  ...DeliveryAttemptFields,
  /** What the receiver answered (`HTTP 200`, the SMTP reply), without secrets. */
  response: z.string(),
  deliveredAt: z.string(),
});

export const NotificationDeliveryFailedV1 = z.object({
  ...DeliveryAttemptFields,
  error: z.string(),
  /** The receiver refused for good (a 4xx other than 408/429): no further attempt. */
  permanent: z.boolean(),
  /** Another attempt follows (false: the delivery is dead-lettered next). */
  willRetry: z.boolean(),
  failedAt: z.string(),
});

export const NotificationDeadLetteredV1 = z.object({
  deliveryId: z.string(),
  attempts: z.number().int().nonnegative(),
  lastError: z.string(),
  deadLetteredAt: z.string(),
});

export const NotificationRetryRequestedV1 = z.object({
  deliveryId: z.string(),
  by: ActorSchema,
  reason: z.string().nullable(),
  /** Attempts allowed from now on: the attempts made so far plus a fresh budget. */
  maxAttempts: z.number().int().positive(),
  requestedAt: z.string(),
});

/** Schemas by event type, for consumers that validate what they receive. */
export const NotificationEventSchemas = {
  NotificationRequested: NotificationRequestedV1,
  NotificationDelivered: NotificationDeliveredV1,
  NotificationDeliveryFailed: NotificationDeliveryFailedV1,
  NotificationDeadLettered: NotificationDeadLetteredV1,
  NotificationRetryRequested: NotificationRetryRequestedV1,
} as const;

/** Every event of the `notification-<deliveryId>` stream. */
export type NotificationEvent = EventsOf<typeof NotificationEventSchemas>;
