import { Option, type Command } from '@commander-js/extra-typings';
import { GetNotification, ListNotifications, NotificationStatus, RetryNotification, type NotificationView } from '@baton/contracts';
import { limitOption, parseName, parseReason, statusOption } from '../args';
import type { CliContext } from '../context';
import { detailTable, formatAge, formatTime, plain, table, toneOf, type Paint } from '../format';
import { asOption, humanActor } from './approvals';

const short = (text: string, max: number): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** `notifications list`: one line per delivery, newest first. */
export function formatNotifications(list: readonly NotificationView[], now: Date, paint: Paint = plain): string {
  if (list.length === 0) return 'No notifications match.';
  return table(
    ['ID', 'CHANNEL', 'TO', 'TOPIC', 'STATUS', 'TRIES', 'RUN', 'TITLE', 'ERROR', 'REQUESTED'],
    list.map((n) => [
      n.deliveryId,
      `${n.channel} (${n.channelKind})`,
      short(n.recipient, 32),
      n.source.topic,
      paint(n.status, n.status === 'dead_lettered' ? 'bad' : n.status === 'retrying' ? 'busy' : toneOf(n.status === 'delivered' ? 'success' : n.status)),
      `${n.attempts}/${n.maxAttempts}`,
      n.source.runId ?? '-',
      short(n.title, 48),
      n.lastError === null || n.status === 'delivered' ? '' : short(n.lastError, 40),
      formatAge(n.requestedAt, now),
    ]),
    paint,
  );
}

/** `notifications show`: who was told what, over which channel, and how it went. */
export function formatNotification(n: NotificationView, paint: Paint = plain): string {
  return detailTable(
    [
      ['Delivery', n.deliveryId],
      ['Status', paint(n.status, n.status === 'dead_lettered' ? 'bad' : n.status === 'delivered' ? 'good' : 'busy')],
      ['Channel', `${n.channel} (${n.channelKind})`],
      ['To', n.recipient],
      ['Title', n.title],
      ['Text', n.text],
      ['Severity', n.severity],
      ['Rule', n.ruleId],
      ['About', `${n.source.topic}: ${n.source.eventType} ${n.source.eventId} (${n.source.streamId})`],
      ['Attempts', `${n.attempts} of ${n.maxAttempts}`],
      ['Last error', n.lastError ?? '-'],
      ['Requested', formatTime(n.requestedAt)],
      ['Delivered', formatTime(n.deliveredAt)],
    ],
    paint,
  );
}

export function registerNotificationCommands(program: Command, ctx: CliContext): void {
  const notifications = program.command('notifications').description('notifications: who was told what, over which channel, and when; retry a dead-lettered one');

  notifications
    .command('list')
    .description('list deliveries, newest first')
    .option('--failed', 'only deliveries with a failed attempt that are not delivered (retrying or dead-lettered)')
    .addOption(statusOption('notifications', NotificationStatus.options))
    .option('--run <runId>', 'only notifications about this run')
    .addOption(new Option('--channel <name>', 'only this channel (its name in the rules file)').argParser(parseName))
    .addOption(limitOption())
    .action(async (opts) => {
      const { notifications: list } = await (await ctx.client()).query(ListNotifications, {
        failed: opts.failed === true,
        status: opts.status,
        runId: opts.run,
        channel: opts.channel,
        limit: opts.limit,
      });
      ctx.emit({ notifications: list }, () => formatNotifications(list, ctx.now(), ctx.paint));
    });

  notifications
    .command('show')
    .description('one delivery: its text, recipient, channel, attempts and last error')
    .argument('<deliveryId>', 'delivery id (n-…)')
    .action(async (deliveryId) => {
      const view = await (await ctx.client()).query(GetNotification, { deliveryId });
      ctx.emit(view, () => formatNotification(view, ctx.paint));
    });

  notifications
    .command('retry')
    .description('send a dead-lettered (or still retrying) delivery again, with a fresh round of attempts; you are recorded as the one who asked')
    .argument('<deliveryId>', 'delivery id (n-…)')
    .addOption(new Option('--reason <text>', 'why (logged with the retry)').argParser(parseReason))
    .addOption(asOption())
    .action(async (deliveryId, opts) => {
      const actor = humanActor(ctx.deps.env, opts.as);
      const view = await (await ctx.client()).command(RetryNotification, { deliveryId, reason: opts.reason }, { commandId: ctx.newId(), actor });
      ctx.emit(view, () => `notification ${view.deliveryId} (${view.channel} → ${view.recipient}) is ${view.status}: up to ${view.maxAttempts - view.attempts} more attempt(s)`);
    });
}
