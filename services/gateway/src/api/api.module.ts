import { Module, type DynamicModule } from '@nestjs/common';
import { ApiController } from './api.controller';
import { API_OPTIONS, type ApiOptions } from './api.tokens';

/**
 * The REST API's catch-all `/api/*` route. Imported last by the root module, so the routes of
 * the modules before it (the docs, a dashboard's own `/api/...` routes) are matched first.
 */
@Module({})
export class ApiModule {
  static forRoot(options: ApiOptions): DynamicModule {
    return { module: ApiModule, controllers: [ApiController], providers: [{ provide: API_OPTIONS, useValue: options }] };
  }
}
