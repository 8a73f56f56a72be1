import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import type { ReadinessCheck } from '@baton/telemetry';
import { OpsEndpointsModule } from '@baton/telemetry';
import { ApiModule } from './api/api.module';
import type { ApiOptions } from './api/api.tokens';
import { HEALTHZ_CHECKS, HealthzController } from './http/healthz.controller';
import { DEV_ISSUER, DEV_ISSUER_LIMITER, DevIssuerController } from './issuer/dev-issuer.controller';
import type { DevIssuer } from './issuer/dev-issuer';
import type { RateLimiter } from './limits/rate-limiter';
import { OPENAPI_DOCUMENT, OpenApiController } from './openapi/openapi.controller';

/** What the gateway's root module is built from. */
export interface GatewayModuleOptions {
  readonly version: string;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly api: ApiOptions;
  readonly openApi: Record<string, unknown>;
  readonly devIssuer?: { readonly issuer: DevIssuer; readonly limiter: RateLimiter } | undefined;
  /**
   * Modules served beside the API (the live dashboard). They are imported before the API's
   * catch-all `/api/*` route, so they may add routes of their own under `/api` too.
   */
  readonly extraModules?: NonNullable<ModuleMetadata['imports']>;
}

/**
 * The gateway: the REST API and its OpenAPI document, `/healthz`, the built-in issuer when
 * enabled, and the operational endpoints every service has. It owns no domain state: every
 * answer comes from the services over NATS.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: GatewayModuleOptions): DynamicModule {
    return {
      module: GatewayModule,
      imports: [OpsEndpointsModule.forRoot({ service: 'gateway', version: options.version, readinessChecks: options.readinessChecks }), ...(options.extraModules ?? []), ApiModule.forRoot(options.api)],
      controllers: [OpenApiController, HealthzController, ...(options.devIssuer ? [DevIssuerController] : [])],
      providers: [
        { provide: OPENAPI_DOCUMENT, useValue: options.openApi },
        { provide: HEALTHZ_CHECKS, useValue: options.readinessChecks },
        ...(options.devIssuer
          ? [
              { provide: DEV_ISSUER, useValue: options.devIssuer.issuer },
              { provide: DEV_ISSUER_LIMITER, useValue: options.devIssuer.limiter },
            ]
          : []),
      ],
    };
  }
}
