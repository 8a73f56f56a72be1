import { Option, type Command } from '@commander-js/extra-typings';
import { GetNotification, ListNotifications, NotificationStatus, RetryNotification } from '@baton/contracts';
import { limitOption, parseName, parseReason, statusOption } from '../args';
import type { CliContext } from '../context';
import { formatNotification, formatNotifications } from '../format';
import { asOption, commandAsHuman } from './approvals';
import { showCommand } from './command-builders';

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
      await ctx.printList(ListNotifications, { failed: opts.failed === true, status: opts.status, runId: opts.run, channel: opts.channel, limit: opts.limit }, 'notifications', formatNotifications);
    });

  showCommand(notifications, 'one delivery: its text, recipient, channel, attempts and last error', ['<deliveryId>', 'delivery id (n-…)']).action(async (deliveryId) => {
    await ctx.printOne(GetNotification, { deliveryId }, (view, _now, paint) => formatNotification(view, paint));
  });

  notifications
    .command('retry')
    .description('send a dead-lettered (or still retrying) delivery again, with a fresh round of attempts; you are recorded as the one who asked')
    .argument('<deliveryId>', 'delivery id (n-…)')
    .addOption(new Option('--reason <text>', 'why (logged with the retry)').argParser(parseReason))
    .addOption(asOption())
    .action(async (deliveryId, opts) => {
      const { reply: view } = await commandAsHuman(ctx, RetryNotification, { deliveryId, reason: opts.reason }, opts.as);
      ctx.emit(view, () => `notification ${view.deliveryId} (${view.channel} → ${view.recipient}) is ${view.status}: up to ${view.maxAttempts - view.attempts} more attempt(s)`);
    });
}
