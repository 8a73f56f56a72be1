import { commandContextOf } from '@baton/aggregate';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { GetNotification, ListNotifications, RetryNotification, type CommandEnvelope, type DataOf, type NotificationView, type QueryEnvelope } from '@baton/contracts';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import { NotificationService } from '../app/notification.service';
import { NOTIFICATION_SERVICE } from './tokens';

/** `baton.cmd.notifier.*` and `baton.qry.notifier.*`; requests arrive validated by the transport. */
@Controller()
export class NotifierNatsController {
  constructor(@Inject(NOTIFICATION_SERVICE) private readonly notifications: NotificationService) {}

  @CommandHandler(RetryNotification)
  retryNotification(@Payload() command: CommandEnvelope<DataOf<typeof RetryNotification>>, @Ctx() ctx: BatonRpcContext): Promise<NotificationView> {
    return this.notifications.retry(command, commandContextOf(command, ctx, ctx.getSubject()));
  }

  @QueryHandler(GetNotification)
  getNotification(@Payload() query: QueryEnvelope<DataOf<typeof GetNotification>>): Promise<NotificationView> {
    return this.notifications.get(query.data.deliveryId);
  }

  @QueryHandler(ListNotifications)
  async listNotifications(@Payload() query: QueryEnvelope<DataOf<typeof ListNotifications>>): Promise<{ notifications: NotificationView[] }> {
    return { notifications: await this.notifications.list(query.data) };
  }
}
