import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { docsPage } from './docs.page';

export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

/** `GET /api/openapi.json` and the docs page `GET /api/docs`; both public (they describe, they do not act). */
@Controller('api')
export class OpenApiController {
  private readonly page: string;
  private readonly json: string;

  constructor(@Inject(OPENAPI_DOCUMENT) doc: Record<string, unknown>) {
    this.json = JSON.stringify(doc);
    this.page = docsPage(doc);
  }

  @Get('openapi.json')
  document(@Res() res: Response): void {
    res.status(200).type('application/json').send(this.json);
  }

  @Get('docs')
  docs(@Res() res: Response): void {
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    res.status(200).type('text/html').send(this.page);
  }
}
