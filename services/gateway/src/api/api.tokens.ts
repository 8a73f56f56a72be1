import type { Logger } from 'pino';
import type { RateClass } from '@baton/contracts';
import type { Authenticator } from '../auth/authenticator';
import type { RateLimiter } from '../limits/rate-limiter';
import type { GatewayApi } from './gateway-api';

/** What the API controller is built from (the composition root makes each). */
export interface ApiOptions {
  readonly authenticator: Authenticator;
  readonly api: GatewayApi;
  readonly limiters: Readonly<Record<RateClass, RateLimiter>>;
  /**
   * Failed authentications per client address: past it, an address gets 429 before its
   * credentials are even checked, so a flood of bad tokens costs no signature checks.
   */
  readonly authFailures: RateLimiter;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
}

export const API_OPTIONS = Symbol('API_OPTIONS');
