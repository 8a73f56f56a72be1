import { deciderSpec, foldWith, type CommandMetadata } from '@baton/aggregate';
import type { Actor } from '@baton/contracts';
import { notificationAggregate } from './notification.aggregate';
import type { NotificationCommand, RequestNotification } from './notification.commands';
import { toNotificationView } from './notification.decider';
import type { NotificationEvent } from './notification.events';

const NOW = '2026-12-06T09:00:00.000Z';
const meta = (commandId = 'c-1', now = NOW): CommandMetadata => ({ commandId, now });
const person: Actor = { kind: 'human', id: 'ops' };

const requestData = (over: Partial<RequestNotification['data']> = {}): RequestNotification['data'] => ({
  deliveryId: 'n-1',
  ruleId: 'run-timeline',
  channel: 'slack',
  channelKind: 'slack',
  recipient: '#baton-runs',
  title: 'Run started',
  text: 'Project started: Feature Development (run r-1), priority P1',
  severity: 'info',
  source: { eventId: 'e-1', eventType: 'RunStarted', streamId: 'run-r-1', topic: 'run.started', runId: 'r-1' },
  maxAttempts: 3,
  ...over,
});

const request = (over: Partial<RequestNotification['data']> = {}): NotificationCommand => ({ type: 'RequestNotification', data: requestData(over), metadata: meta() });
const failed = (attempt: number, permanent = false): NotificationCommand => ({ type: 'RecordDeliveryFailed', data: { deliveryId: 'n-1', attempt, error: 'HTTP 503', permanent }, metadata: meta(`f-${attempt}`) });
const delivered = (attempt: number): NotificationCommand => ({ type: 'RecordDelivered', data: { deliveryId: 'n-1', attempt, response: 'HTTP 200' }, metadata: meta(`d-${attempt}`) });
const retry = (fresh = 3): NotificationCommand => ({ type: 'RetryNotification', data: { deliveryId: 'n-1', by: person, reason: 'the receiver is back', freshAttempts: fresh }, metadata: meta('r-1') });

const { given } = deciderSpec(notificationAggregate);
const fold = (events: readonly NotificationEvent[]) => foldWith(notificationAggregate, events);
const requested: NotificationEvent = { type: 'NotificationRequested', data: { ...requestData(), requestedAt: NOW } };
const failure = (attempt: number, willRetry: boolean): NotificationEvent => ({ type: 'NotificationDeliveryFailed', data: { deliveryId: 'n-1', attempt, error: 'HTTP 503', permanent: false, willRetry, failedAt: NOW } });
const deadLettered = (attempts: number): NotificationEvent => ({ type: 'NotificationDeadLettered', data: { deliveryId: 'n-1', attempts, lastError: 'HTTP 503', deadLetteredAt: NOW } });

describe('notification decider', () => {
  it('request: recorded once with the time of the command; the same request again changes nothing', () => {
    given([]).when(request()).then([requested]);
    given([requested]).when(request()).then([]);
    expect(toNotificationView(fold([requested]) as never)).toMatchObject({ deliveryId: 'n-1', status: 'pending', attempts: 0, maxAttempts: 3, deliveredAt: null });
  });

  it('request: another message under a taken id is CONFLICT', () => {
    given([requested]).when(request({ text: 'something else' })).thenThrows('CONFLICT');
  });

  it('a failed attempt is recorded and retried while attempts remain', () => {
    given([requested]).when(failed(1)).then([failure(1, true)]);
    expect(fold([requested, failure(1, true)])).toMatchObject({ status: 'retrying', attempts: 1, lastError: 'HTTP 503' });
  });

  it('the attempt that uses up the budget dead-letters the delivery', () => {
    given([requested, failure(1, true), failure(2, true)]).when(failed(3)).then([failure(3, false), deadLettered(3)]);
    expect(fold([requested, failure(1, true), failure(2, true), failure(3, false), deadLettered(3)])).toMatchObject({ status: 'dead_lettered', attempts: 3 });
  });

  it('a permanent refusal dead-letters at once', () => {
    given([requested])
      .when(failed(1, true))
      .then([
        { type: 'NotificationDeliveryFailed', data: { deliveryId: 'n-1', attempt: 1, error: 'HTTP 503', permanent: true, willRetry: false, failedAt: NOW } },
        deadLettered(1),
      ]);
  });

  it('delivered: recorded once; a late failure afterwards changes nothing', () => {
    const ok: NotificationEvent = { type: 'NotificationDelivered', data: { deliveryId: 'n-1', attempt: 2, response: 'HTTP 200', deliveredAt: NOW } };
    given([requested, failure(1, true)]).when(delivered(2)).then([ok]);
    given([requested, failure(1, true), ok]).when(delivered(2)).then([]);
    given([requested, failure(1, true), ok]).when(failed(3)).then([]);
    expect(fold([requested, failure(1, true), ok])).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: NOW });
  });

  it('retry: a dead-lettered delivery gets a fresh budget, recorded with who asked and why', () => {
    const history = [requested, failure(1, true), failure(2, true), failure(3, false), deadLettered(3)];
    const asked: NotificationEvent = { type: 'NotificationRetryRequested', data: { deliveryId: 'n-1', by: person, reason: 'the receiver is back', maxAttempts: 6, requestedAt: NOW } };
    given(history).when(retry(3)).then([asked]);
    expect(fold([...history, asked])).toMatchObject({ status: 'retrying', maxAttempts: 6 });
    // The next failure is attempt 4 of 6: retried again.
    given([...history, asked]).when(failed(4)).then([failure(4, true)]);
  });

  it('retry: a delivered one is ILLEGAL_TRANSITION; an unknown one NOT_FOUND', () => {
    const ok: NotificationEvent = { type: 'NotificationDelivered', data: { deliveryId: 'n-1', attempt: 1, response: 'HTTP 200', deliveredAt: NOW } };
    given([requested, ok]).when(retry()).thenThrows('ILLEGAL_TRANSITION');
    given([]).when(retry()).thenThrows('NOT_FOUND');
    given([]).when(failed(1)).thenThrows('NOT_FOUND');
  });
});
