import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, type ConnectNatsOptions, type ManagedNatsConnection } from './nats-connection';

/** Injection token of the shared `NatsConnection`. Inject with `@Inject(NATS_CONNECTION)`. */
export const NATS_CONNECTION = Symbol.for('baton.messaging.NatsConnection');
/** Injection token of the {@link ManagedNatsConnection} (connection plus `drain()`). */
export const MANAGED_NATS_CONNECTION = Symbol.for('baton.messaging.ManagedNatsConnection');

@Injectable()
class NatsShutdownHook implements OnApplicationShutdown {
  constructor(@Inject(MANAGED_NATS_CONNECTION) private readonly managed: ManagedNatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.managed.drain();
  }
}

/**
 * One NATS connection per process, shared by every provider, drained when the application
 * shuts down (call `app.enableShutdownHooks()` in `main.ts` so SIGTERM triggers it).
 *
 * @example
 * @Module({ imports: [NatsModule.forRoot({ url: env.natsUrl, name: 'agent-registry' })] })
 * export class AppModule {}
 * // later: constructor(@Inject(NATS_CONNECTION) nc: NatsConnection)
 */
@Global()
@Module({})
export class NatsModule {
  static forRoot(options: ConnectNatsOptions): DynamicModule {
    return {
      module: NatsModule,
      global: true,
      providers: [
        { provide: MANAGED_NATS_CONNECTION, useFactory: () => connectNats(options) },
        { provide: NATS_CONNECTION, useFactory: (m: ManagedNatsConnection): NatsConnection => m.nc, inject: [MANAGED_NATS_CONNECTION] },
        NatsShutdownHook,
      ],
      exports: [NATS_CONNECTION, MANAGED_NATS_CONNECTION],
    };
  }
}
