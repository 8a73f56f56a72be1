import { decideByType, unhandled } from '@baton/aggregate';
import type { NotificationView } from '@baton/contracts';
import type { NotificationCommand, RecordDelivered, RecordDeliveryFailed, RequestNotification, RetryNotification } from './notification.commands';
import { NotificationAlreadyDeliveredError, NotificationIdTakenError, NotificationNotFoundError } from './notification.errors';
import type { NotificationEvent } from './notification.events';
import type { NotificationState, RequestedNotification } from './notification.state';

function request(command: RequestNotification, state: NotificationState): NotificationEvent[] {
  const d = command.data;
  if (state.status !== 'none') {
    // Idempotent by id: the same message again (a redelivered event) changes nothing.
    const r = state.requested;
    if (r.channel === d.channel && r.recipient === d.recipient && r.text === d.text && r.ruleId === d.ruleId) return [];
    throw new NotificationIdTakenError(d.deliveryId);
  }
  return [{ type: 'NotificationRequested', data: { ...d, requestedAt: command.metadata.now } }];
}

function delivered(command: RecordDelivered, state: RequestedNotification): NotificationEvent[] {
  if (state.status === 'delivered') return [];
  const attempt = Math.max(command.data.attempt, state.attempts + 1);
  return [{ type: 'NotificationDelivered', data: { deliveryId: command.data.deliveryId, attempt, response: command.data.response, deliveredAt: command.metadata.now } }];
}

function failed(command: RecordDeliveryFailed, state: RequestedNotification): NotificationEvent[] {
  const d = command.data;
  // An attempt that ends after the delivery was settled (delivered, or dead-lettered) changes nothing.
  if (state.status === 'delivered' || state.status === 'dead_lettered') return [];
  const attempt = Math.max(d.attempt, state.attempts + 1);
  const willRetry = !d.permanent && attempt < state.maxAttempts;
  const now = command.metadata.now;
  const events: NotificationEvent[] = [{ type: 'NotificationDeliveryFailed', data: { deliveryId: d.deliveryId, attempt, error: d.error, permanent: d.permanent, willRetry, failedAt: now } }];
  if (!willRetry) events.push({ type: 'NotificationDeadLettered', data: { deliveryId: d.deliveryId, attempts: attempt, lastError: d.error, deadLetteredAt: now } });
  return events;
}

function retry(command: RetryNotification, state: RequestedNotification): NotificationEvent[] {
  const d = command.data;
  if (state.status === 'delivered') throw new NotificationAlreadyDeliveredError(d.deliveryId, state.deliveredAt);
  return [
    {
      type: 'NotificationRetryRequested',
      data: { deliveryId: d.deliveryId, by: d.by, reason: d.reason, maxAttempts: state.attempts + d.freshAttempts, requestedAt: command.metadata.now },
    },
  ];
}

/** The commands about a requested delivery. */
const decideRequested = decideByType<Exclude<NotificationCommand, RequestNotification>, RequestedNotification, NotificationEvent>('notification', {
  RecordDelivered: delivered,
  RecordDeliveryFailed: failed,
  RetryNotification: retry,
});

/**
 * The delivery's rules: a request is recorded once; each failed attempt is recorded, and the
 * one that uses up the attempts (or that the receiver refused for good) dead-letters the
 * delivery; a person may ask for a fresh round of attempts unless it was delivered.
 */
export function decide(command: NotificationCommand, state: NotificationState): readonly NotificationEvent[] {
  if (command.type === 'RequestNotification') return request(command, state);
  if (state.status === 'none') throw new NotificationNotFoundError(command.data.deliveryId);
  return decideRequested(command, state);
}

export function evolve(state: NotificationState, event: NotificationEvent): NotificationState {
  if (event.type === 'NotificationRequested') {
    const d = event.data;
    return { status: 'pending', requested: d, attempts: 0, maxAttempts: d.maxAttempts, lastError: null, updatedAt: d.requestedAt, deliveredAt: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'NotificationDelivered':
      return { ...state, status: 'delivered', attempts: event.data.attempt, updatedAt: event.data.deliveredAt, deliveredAt: event.data.deliveredAt };
    case 'NotificationDeliveryFailed':
      return { ...state, status: 'retrying', attempts: event.data.attempt, lastError: event.data.error, updatedAt: event.data.failedAt };
    case 'NotificationDeadLettered':
      return { ...state, status: 'dead_lettered', lastError: event.data.lastError, updatedAt: event.data.deadLetteredAt };
    case 'NotificationRetryRequested':
      return { ...state, status: 'retrying', maxAttempts: event.data.maxAttempts, updatedAt: event.data.requestedAt };
    default:
      return unhandled('notification', 'event', event);
  }
}

/** The reply of get-notification and retry-notification, from the aggregate's state. */
export function toNotificationView(state: RequestedNotification): NotificationView {
  const r = state.requested;
  return {
    deliveryId: r.deliveryId,
    ruleId: r.ruleId,
    channel: r.channel,
    channelKind: r.channelKind,
    recipient: r.recipient,
    title: r.title,
    text: r.text,
    severity: r.severity,
    source: r.source,
    status: state.status,
    attempts: state.attempts,
    maxAttempts: state.maxAttempts,
    lastError: state.lastError,
    requestedAt: r.requestedAt,
    updatedAt: state.updatedAt,
    deliveredAt: state.deliveredAt,
  };
}
