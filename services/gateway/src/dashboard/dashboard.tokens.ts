import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { BatonCalls } from '../api/baton-calls';
import type { Authenticator } from '../auth/authenticator';
import type { RateLimiter } from '../limits/rate-limiter';

/** What the dashboard is built from (the gateway's composition root makes each). */
export interface DashboardOptions {
  /** The gateway's NATS connection: the event stream for live updates and audit timelines. */
  readonly nc: NatsConnection;
  /** The API's call layer: every page reads through it. */
  readonly calls: BatonCalls;
  readonly authenticator: Authenticator;
  /** Page renders and the dashboard's own actions, per person (the API's routes have their own). */
  readonly limiters: { readonly read: RateLimiter; readonly write: RateLimiter };
  /** Whether the built-in issuer is served (the sign-in page then asks for a user and password). */
  readonly devIssuer: boolean;
  /** Served over HTTPS: the session cookie is then `Secure`. */
  readonly https: boolean;
  readonly logger: Logger;
}

export const DASHBOARD_OPTIONS = Symbol('DASHBOARD_OPTIONS');
