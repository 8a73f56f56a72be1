import { Inject, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DashboardController } from './dashboard.controller';
import { DASHBOARD_OPTIONS, type DashboardOptions } from './dashboard.tokens';
import { sessionAuthorization } from './session';

/**
 * The live dashboard (/dashboard), served beside the API through the gateway's `extraModules`.
 * Its one effect on the API: a request from the dashboard's own page (its header, same origin)
 * that carries no credentials is authenticated with the session cookie; everything after that
 * (rate limits, roles, the identity rules of each route) is the API's, unchanged.
 *
 * @example
 * GatewayModule.forRoot({ ..., extraModules: [DashboardModule.forRoot({ nc, calls, authenticator, limiters, devIssuer: true, https: false, logger })] });
 */
@Module({})
export class DashboardModule implements NestModule {
  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: DashboardOptions) {}

  static forRoot(options: DashboardOptions): DynamicModule {
    return { module: DashboardModule, controllers: [DashboardController], providers: [{ provide: DASHBOARD_OPTIONS, useValue: options }] };
  }

  configure(consumer: MiddlewareConsumer): void {
    const https = this.options.https;
    consumer
      .apply((req: Request, _res: Response, next: NextFunction) => {
        const authorization = sessionAuthorization(req.headers, https);
        if (authorization !== undefined) req.headers.authorization = authorization;
        next();
      })
      .forRoutes({ path: 'api/{*path}', method: RequestMethod.ALL });
  }
}
