import { randomUUID } from 'node:crypto';
import { CommandRunner, type Clock } from '@baton/aggregate';
import { serviceLogger, startServiceHost, type DurableConsumer, type HostedServiceOptions, type MessagingLogger, type ProjectingService, type ConsumerStart } from '@baton/messaging';
import type { EventStoreSelection } from '@baton/event-store';
import { ChannelWorker, Dispatcher } from '../app/dispatcher';
import { DEFAULT_MAX_EVENT_AGE_MS, InputEventHandler, type NotificationCommands } from '../app/input.consumer';
import { NotificationService } from '../app/notification.service';
import { redactor, type ChannelSender } from '../app/ports';
import { inputSubjectsOf, type ChannelConfig, type NotifierRules } from '../app/rules.config';
import { notificationAggregate, readNotificationEvent } from '../domain';
import { notifierMigrations } from '../read-model/migrations';
import { applyNotificationEvent, NOTIFICATIONS_FILTER, NOTIFICATIONS_PROJECTION, resetNotifications } from '../read-model/notification.projection';
import { NOTIFIER_SCHEMA, type NotifierDatabase } from '../read-model/notifier.tables';
import { ConsoleSender, type ConsoleSink } from './channels/console.sender';
import { EmailSender } from './channels/email.sender';
import { PagerDutySender } from './channels/pagerduty.sender';
import { SlackSender } from './channels/slack.sender';
import { WebhookSender } from './channels/webhook.sender';
import { NotifierModule } from './notifier.module';

/** Durable JetStream consumer of the events the rules route. */
export const INPUTS_DURABLE = 'notifier-inputs';

export interface StartNotifierOptions extends HostedServiceOptions {
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly httpPort: number;
  readonly eventStore?: EventStoreSelection;
  /** The checked rules file (see `parseRulesFile`). */
  readonly rules: NotifierRules;
  /** How often each channel's worker looks at its queue when nothing woke it. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /** Events older than this notify nobody (they still update what is known of runs). Default 1 hour. */
  readonly maxEventAgeMs?: number;
  /** Where the console channel writes (the service's pino logger). Default: JSON lines on stdout. */
  readonly console?: ConsoleSink;
  /**
   * The durable consumer of input events. Default `{ durable: INPUTS_DURABLE, deliverPolicy: 'all' }`;
   * tests sharing one NATS server give each app its own name and start at new events.
   */
  readonly inputs?: ConsumerStart;
}

/** A running notifier and the adapters it owns; `close()` stops everything in reverse order. */
export interface NotifierApp extends ProjectingService<NotifierDatabase> {
  readonly commands: NotificationCommands;
  readonly notifications: NotificationService;
  readonly dispatcher: Dispatcher;
  readonly inputs: DurableConsumer;
}

const stdoutSink: ConsoleSink = {
  info: (fields, message) => process.stdout.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), service: 'notifier', ...fields, msg: message })}\n`),
};

function senderFor(channel: ChannelConfig, clock: Clock, sink: ConsoleSink): ChannelSender {
  const s = channel.settings;
  switch (s.kind) {
    case 'slack':
      return new SlackSender(s.url);
    case 'webhook':
      return new WebhookSender(s.url, s.secret, () => clock.now());
    case 'email':
      return new EmailSender(s);
    case 'pagerduty':
      return new PagerDutySender(s.url, s.routingKey, s.source);
    case 'console':
      return new ConsoleSender(sink);
  }
}

/** A logger that takes secrets out of every line before it is written. */
function redacting(log: MessagingLogger, redact: (text: string) => string): MessagingLogger {
  return {
    log: (message: string) => log.log(redact(message)),
    warn: (message: string) => log.warn(redact(message)),
    error: (message: string, trace?: string) => log.error(redact(message), trace === undefined ? undefined : redact(trace)),
  };
}

/**
 * Builds and starts the notifier: Postgres event store, `baton_notifier` migrations, the
 * deliveries projection (which queues what is owed), the relay of notification events, the
 * durable consumer of the events the rules route (run, workflow, escalation, health, …), one
 * worker per channel, and the Nest app with its NATS transport and HTTP health and metrics.
 * `main.ts` calls it with the environment's config; integration tests with a test database,
 * stand-in receivers and rules of their own. If a step fails, what was started is closed.
 *
 * @example
 * const notifier = await startNotifier({ databaseUrl, natsUrl, httpPort: 0, rules: consoleOnlyRules(), logger: false });
 * await notifier.close();
 */
export async function startNotifier(options: StartNotifierOptions): Promise<NotifierApp> {
  const redact = redactor(options.rules.secrets);
  const service = { ...options, service: 'notifier', schema: NOTIFIER_SCHEMA, migrations: notifierMigrations } as const;
  return startServiceHost<NotifierDatabase, NotifierApp>(service, async (host) => {
    const { store, db, clock, ids } = host;
    const log = redacting(serviceLogger('notifier', options.logger), redact);
    const commands: NotificationCommands = new CommandRunner(store, notificationAggregate, { clock, ids });
    const owner = `notifier-${randomUUID()}`;
    const sink = options.console ?? stdoutSink;
    const workers = Object.values(options.rules.channels).map(
      (channel) =>
        new ChannelWorker({ channel, sender: senderFor(channel, clock, sink), db, commands, clock, logger: log, redact, pollIntervalMs: options.pollIntervalMs ?? 500, owner }),
    );
    const dispatcher = new Dispatcher(workers);

    const projection = await host.startProjection({
      name: NOTIFICATIONS_PROJECTION,
      filter: NOTIFICATIONS_FILTER,
      apply: applyNotificationEvent,
      deferWrites: true,
      reset: resetNotifications,
      // A delivery queued (or retried) wakes its channel's worker at once.
      onApplied: (events) => {
        const channels = new Set<string>();
        for (const e of events) {
          if (e.type !== 'NotificationRequested') continue;
          const event = readNotificationEvent(e);
          if (event.type === 'NotificationRequested') channels.add(event.data.channel);
        }
        if (events.some((e) => e.type === 'NotificationRetryRequested')) dispatcher.wake();
        else if (channels.size > 0) dispatcher.wake(channels);
      },
    });

    const nats = await host.connectNats(options.natsUrl);
    const relay = await host.startRelay({ name: 'relay-notifier', filter: NOTIFICATIONS_FILTER });

    const notifications = new NotificationService(commands, db, (channel) => options.rules.channels[channel]?.delivery.maxAttempts ?? 1, (channel) => dispatcher.wake([channel]));
    dispatcher.start();
    host.defer(() => dispatcher.stop());

    const handler = new InputEventHandler(db, commands, () => options.rules.table, log, { ms: options.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS, now: () => clock.now() });
    const inputs = await host.consumeEvents({
      durable: options.inputs?.durable ?? INPUTS_DURABLE,
      filterSubjects: inputSubjectsOf(options.rules.table),
      deliverPolicy: options.inputs?.deliverPolicy ?? 'all',
      handler: async (event) => {
        await handler.handle(event);
      },
      logger: log,
    });

    const readinessChecks = host.readinessChecks({ projections: { notifications: projection }, relay });
    const { app, httpUrl } = await host.listen(NotifierModule.register({ db, readinessChecks, notifications, version: options.version ?? '0.0.0' }), options);
    return { app, store, db, nats, projection, relay, commands, notifications, dispatcher, inputs, httpUrl, close: () => host.close() };
  });
}
