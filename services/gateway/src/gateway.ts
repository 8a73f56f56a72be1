import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { GATEWAY_ROUTES } from '@baton/contracts';
import { BatonClient, connectNats, natsReadiness } from '@baton/messaging';
import { CloseStack, PinoNestLogger } from '@baton/telemetry';
import { BatonCalls } from './api/baton-calls';
import { GatewayApi } from './api/gateway-api';
import { RouteMatcher } from './api/route-matcher';
import { ActorSigner } from './auth/actor-signer';
import { ApiKeyRing } from './auth/api-keys';
import { Authenticator } from './auth/authenticator';
import type { GatewayConfig } from './config';
import { DashboardModule } from './dashboard/dashboard.module';
import { GatewayModule } from './gateway.module';
import { securityHeaders, securityHeadersFor } from './http/security-headers';
import { DevIssuer } from './issuer/dev-issuer';
import { putInFront, rateGate } from './limits/rate-gate';
import { RateLimiter } from './limits/rate-limiter';
import { KvRunQuota, NO_RUN_QUOTA } from './limits/run-quota';
import { mcpEndpoint } from './mcp/mcp-endpoint';
import { openApiDocument } from './openapi/openapi.document';

/** A running gateway: its HTTP address, a reload of the API keys (SIGHUP) and a clean stop. */
export interface RunningGateway {
  readonly url: string;
  reloadApiKeys(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the gateway on a NATS connection of its own. */
export async function startGateway(config: GatewayConfig, logger: Logger, version: string): Promise<RunningGateway> {
  const closing = new CloseStack('gateway');
  try {
    const nats = await connectNats({ url: config.natsUrl, name: 'gateway' });
    closing.defer(() => nats.drain());
    const calls = new BatonCalls(new BatonClient(nats.nc, { timeoutMs: config.requestTimeoutMs }), await ActorSigner.open(config.actorKeyDir));
    const quota = config.limits.activeRunsPerPrincipal === 0 ? NO_RUN_QUOTA : await KvRunQuota.open(nats.nc, calls, config.limits.activeRunsPerPrincipal);

    let apiKeys = config.apiKeysFile === undefined ? ApiKeyRing.empty() : await ApiKeyRing.load(config.apiKeysFile);
    const authenticator = new Authenticator({ ...config.oidc, apiKeys: () => apiKeys });
    const devIssuer =
      config.devIssuer === undefined
        ? undefined
        : await DevIssuer.open({ dir: config.devIssuer.dir, issuer: config.oidc.issuer, audience: config.oidc.audience, tokenTtlS: 8 * 3600, password: process.env['BATON_DEV_PASSWORD'] });

    const limiters = {
      read: new RateLimiter(config.limits.readPerSecond, config.limits.readPerSecond * 2),
      write: new RateLimiter(config.limits.writePerSecond, config.limits.writePerSecond * 2),
    };
    const authFailures = new RateLimiter(config.limits.readPerSecond, config.limits.readPerSecond * 2);
    const module = GatewayModule.forRoot({
      version,
      readinessChecks: [natsReadiness(nats.nc)],
      openApi: openApiDocument(version),
      api: {
        authenticator,
        api: new GatewayApi(calls, quota, () => new Date(), config.assignmentWaitMs),
        limiters,
        authFailures,
        maxBodyBytes: config.limits.maxBodyBytes,
        logger,
      },
      devIssuer: devIssuer === undefined ? undefined : { issuer: devIssuer, limiter: new RateLimiter(1, 10) },
      extraModules: [DashboardModule.forRoot({ nc: nats.nc, calls, authenticator, limiters: { read: new RateLimiter(config.limits.readPerSecond, config.limits.readPerSecond * 2), write: new RateLimiter(config.limits.writePerSecond, config.limits.writePerSecond * 2) }, devIssuer: devIssuer !== undefined, https: config.publicUrl.startsWith('https:'), logger })],
    });
    // The gateway reads request bodies itself (size, depth and JSON checks, problem+json errors).
    const app = await NestFactory.create<NestExpressApplication>(module, { logger: new PinoNestLogger(logger), abortOnError: false, bodyParser: false });
    app.disable('x-powered-by');
    // Replies are computed per request; an ETag would hash every body for nothing.
    app.set('etag', false);
    const headerOptions = { https: config.publicUrl.startsWith('https:'), corsOrigins: config.corsOrigins };
    // Before Express and Nest: a principal over its rate is refused before routing, body or NATS.
    const gate = rateGate({ matcher: new RouteMatcher(GATEWAY_ROUTES), authenticator, limiters, authFailures, headers: securityHeadersFor(headerOptions) });
    putInFront(app.getHttpServer() as Server, gate);
    app.use(securityHeaders(headerOptions));
    // MCP (Streamable HTTP) for coding agents, with the gateway's identity: see mcp/mcp-endpoint.ts.
    const mcp = mcpEndpoint({ nc: nats.nc, authenticator });
    closing.defer(() => mcp.close());
    app.use('/mcp', (req: IncomingMessage, res: ServerResponse) => void mcp(req, res));
    closing.defer(() => app.close());
    await app.listen(config.httpPort, config.httpHost);
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.httpPort;
    logger.info({ host: config.httpHost, port, issuer: config.oidc.issuer, apiKeys: apiKeys.size, devIssuer: devIssuer !== undefined }, 'listening');
    return {
      url: `http://${config.httpHost}:${port}`,
      async reloadApiKeys() {
        if (config.apiKeysFile === undefined) return;
        apiKeys = await ApiKeyRing.load(config.apiKeysFile);
        logger.info({ apiKeys: apiKeys.size }, 'API keys reloaded');
      },
      close: () => closing.closeAll(),
    };
  } catch (err) {
    await closing.closeAll();
    throw err;
  }
}
