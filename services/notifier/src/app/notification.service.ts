import type { CommandContext } from '@baton/aggregate';
import type { Actor, CommandEnvelope, DataOf, NotificationView, RetryNotification } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { NotificationNotFoundError, toNotificationView } from '../domain';
import { getNotification, listNotifications, toView, type NotificationFilter } from '../read-model/notification.queries';
import type { NotifierDatabase } from '../read-model/notifier.tables';
import type { NotificationCommands } from './input.consumer';

/** Who asks for a retry when the command names nobody: a person. */
export const DEFAULT_RETRIER: Actor = Object.freeze({ kind: 'human', id: 'human' });

/** The use cases behind `baton.cmd.notifier.*` and `baton.qry.notifier.*`. */
export class NotificationService {
  constructor(
    private readonly commands: NotificationCommands,
    private readonly db: Kysely<NotifierDatabase>,
    /** Attempts a retry grants (the channel's `max_attempts`). */
    private readonly freshAttemptsOf: (channel: string) => number,
    private readonly wake: (channel: string) => void,
  ) {}

  /**
   * RetryNotification: a fresh round of attempts for a dead-lettered (or still retrying)
   * delivery, recorded with the command's actor; the channel's worker picks it up as soon as the
   * projection queues it. Unknown → NOT_FOUND; delivered → ILLEGAL_TRANSITION.
   */
  async retry(command: CommandEnvelope<DataOf<typeof RetryNotification>>, ctx: CommandContext): Promise<NotificationView> {
    const d = command.data;
    const row = await getNotification(this.db, d.deliveryId);
    const by = command.actor ?? DEFAULT_RETRIER;
    const fresh = row === undefined ? 1 : this.freshAttemptsOf(row.channel);
    const result = await this.commands.execute(d.deliveryId, (metadata) => ({ type: 'RetryNotification', data: { deliveryId: d.deliveryId, by, reason: d.reason ?? null, freshAttempts: fresh }, metadata }), { ...ctx, actor: by });
    if (result.state.status === 'none') throw new NotificationNotFoundError(d.deliveryId);
    this.wake(result.state.requested.channel);
    return toNotificationView(result.state);
  }

  async get(deliveryId: string): Promise<NotificationView> {
    const row = await getNotification(this.db, deliveryId);
    if (row === undefined) throw new NotificationNotFoundError(deliveryId);
    return toView(row);
  }

  async list(filter: NotificationFilter): Promise<NotificationView[]> {
    return (await listNotifications(this.db, filter)).map(toView);
  }
}
