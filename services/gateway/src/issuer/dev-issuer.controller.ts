import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '@baton/contracts';
import { sendProblem } from '../api/api.controller';
import { GatewayError } from '../http/problem';
import { readJsonBody } from '../http/request-body';
import type { RateLimiter } from '../limits/rate-limiter';
import { DEV_ISSUER_PATH } from '../config';
import type { DevIssuer } from './dev-issuer';

export const DEV_ISSUER = Symbol('DEV_ISSUER');
export const DEV_ISSUER_LIMITER = Symbol('DEV_ISSUER_LIMITER');

const TokenRequest = z.strictObject({
  grant_type: z.literal('password').optional(),
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(1024),
});

/** The built-in issuer's endpoints under /dev-issuer (served only with BATON_DEV_ISSUER=true). */
@Controller(DEV_ISSUER_PATH.slice(1))
export class DevIssuerController {
  constructor(
    @Inject(DEV_ISSUER) private readonly issuer: DevIssuer,
    @Inject(DEV_ISSUER_LIMITER) private readonly limiter: RateLimiter,
  ) {}

  @Get('.well-known/openid-configuration')
  discovery(): Record<string, unknown> {
    return this.issuer.discovery();
  }

  @Get('jwks.json')
  jwks(): unknown {
    return this.issuer.jwks();
  }

  @Post('token')
  async token(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      // Password guessing is slowed per client address.
      const decision = this.limiter.take(req.socket.remoteAddress ?? 'unknown');
      if (!decision.allowed) throw new GatewayError('RATE_LIMITED', 'too many sign-in attempts', undefined, { 'Retry-After': String(decision.retryAfterS) });
      const parsed = TokenRequest.safeParse(await readJsonBody(req, 16 * 1024));
      if (!parsed.success) throw new ValidationError('send {"username": "...", "password": "..."} as JSON');
      const token = await this.issuer.token(parsed.data.username, parsed.data.password);
      if (token === undefined) throw new GatewayError('UNAUTHENTICATED', 'wrong user name or password');
      res.status(200).type('application/json').setHeader('Cache-Control', 'no-store').send(JSON.stringify(token));
    } catch (err) {
      sendProblem(res, err, req.path);
    }
  }
}
