import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { HEALTH_OPTIONS, type HealthModuleOptions } from './health.tokens';
import { assertUniqueCheckNames } from './readiness';

/** Options for {@link HealthModule.forRootAsync}: build the checks from other providers. */
export interface HealthModuleAsyncOptions {
  readonly imports?: ModuleMetadata['imports'];
  readonly inject?: InjectionToken[];
  readonly useFactory: (...deps: never[]) => HealthModuleOptions | Promise<HealthModuleOptions>;
}

function validated(options: HealthModuleOptions): HealthModuleOptions {
  assertUniqueCheckNames(options.checks ?? []);
  return options;
}

/**
 * Adds `GET /health/live` and `GET /health/ready` to a Nest app.
 *
 * @example
 * // checks known at the composition root
 * HealthModule.forRoot({ checks: [tcpReadinessCheck('nats', natsUrl, 4222)] })
 * // checks built from providers of another module
 * HealthModule.forRootAsync({
 *   imports: [MessagingModule],
 *   inject: [NATS_CONNECTION],
 *   useFactory: (nc: NatsConnection) => ({ checks: [{ name: 'nats', check: () => nc.flush() }] }),
 * })
 */
@Module({})
export class HealthModule {
  /** Registers the health endpoints with checks known up front. */
  static forRoot(options: HealthModuleOptions = {}): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [{ provide: HEALTH_OPTIONS, useValue: validated(options) }, HealthService],
    };
  }

  /** Registers the health endpoints with checks built by a factory from injected providers. */
  static forRootAsync(options: HealthModuleAsyncOptions): DynamicModule {
    return {
      module: HealthModule,
      imports: options.imports ?? [],
      controllers: [HealthController],
      providers: [
        {
          provide: HEALTH_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...deps: never[]) => validated(await options.useFactory(...deps)),
        },
        HealthService,
      ],
    };
  }
}
