import { Module, type DynamicModule } from '@nestjs/common';
import { registerScrapedMetric, serviceRootModule, type ReadinessCheck } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import type { NotificationService } from '../app/notification.service';
import { countByStatus } from '../read-model/notification.queries';
import type { NotifierDatabase } from '../read-model/notifier.tables';
import { NotifierNatsController } from './notifier.nats-controller';
import { NOTIFICATION_SERVICE } from './tokens';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface NotifierDeps {
  readonly db: Kysely<NotifierDatabase>;
  /** Dependencies that must answer before `/health/ready` says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly notifications: NotificationService;
  readonly version: string;
}

/**
 * The notifier's own metric: `baton_notifications{channel,status}`, deliveries by channel and
 * status, read from the read model at scrape time (every replica reports the same figures).
 */
function notifierRegistry(db: Kysely<NotifierDatabase>): Registry {
  const registry = new Registry();
  registerScrapedMetric(registry, {
    name: 'baton_notifications',
    help: 'Deliveries by channel and status (pending, retrying, delivered, dead_lettered).',
    type: 'gauge',
    read: async () => (await countByStatus(db)).map((c) => ({ labels: { channel: c.channel, status: c.status }, value: c.n })),
  });
  return registry;
}

/** The notifier's Nest module: NATS controller, `/health/*` and `/metrics`. */
@Module({})
export class NotifierModule {
  static register(deps: NotifierDeps): DynamicModule {
    const ops = { service: 'notifier', version: deps.version, readinessChecks: deps.readinessChecks, registries: [notifierRegistry(deps.db)] };
    return serviceRootModule(NotifierModule, ops, {
      controllers: [NotifierNatsController],
      providers: [{ provide: NOTIFICATION_SERVICE, useValue: deps.notifications }],
    });
  }
}
