import path from 'node:path';
import { EnvError, envBool, envInt, envString, envUrl, LOCAL_NATS_URL, rawEnv, readHttpServerEnv, type EnvSource, type HttpServerEnv } from '@baton/telemetry';
import { GatewayRole, MAX_MESSAGE_BYTES } from '@baton/contracts';

/** Where the gateway listens unless HTTP_PORT says otherwise. */
export const DEFAULT_GATEWAY_PORT = 3000;

/** Path under which the built-in issuer is served (its issuer URL is the public URL plus this). */
export const DEV_ISSUER_PATH = '/dev-issuer';

/** Everything the gateway reads from its environment, once, at start. */
export interface GatewayConfig extends HttpServerEnv {
  readonly natsUrl: string;
  /** How long a forwarded command or query may take before TIMEOUT (504). */
  readonly requestTimeoutMs: number;
  /** How long `POST /api/orchestrator/tasks` waits for an agent to take the task. */
  readonly assignmentWaitMs: number;
  /** The URL people reach the gateway at (links, the built-in issuer's `iss`). */
  readonly publicUrl: string;
  readonly oidc: {
    readonly issuer: string;
    readonly audience: string;
    /** JWKS URL; when absent, discovered from the issuer's `/.well-known/openid-configuration`. */
    readonly jwksUrl: string | undefined;
    readonly rolesClaim: string;
    readonly groupsClaim: string;
    /** Claim value → Baton roles. */
    readonly roleMap: Readonly<Record<string, readonly GatewayRole[]>>;
  };
  /** File of hashed API keys of service accounts (see docs/security.md). */
  readonly apiKeysFile: string | undefined;
  /** Where the key that signs the `Baton-Actor` assertions lives (created on first start when absent). */
  readonly actorKeyDir: string;
  /** The built-in issuer (local machines only): its key and user files live in `dir`. */
  readonly devIssuer: { readonly dir: string } | undefined;
  readonly limits: {
    /** Requests per second per principal (and burst of twice that), reads and writes. */
    readonly readPerSecond: number;
    readonly writePerSecond: number;
    /** Active (running or paused) runs a principal may have started; 0: no quota. */
    readonly activeRunsPerPrincipal: number;
    readonly maxBodyBytes: number;
  };
  /** Origins allowed by CORS; empty: no cross-origin access at all. */
  readonly corsOrigins: readonly string[];
}

const DEFAULT_ROLE_MAP: Record<string, GatewayRole[]> = { viewer: ['viewer'], operator: ['operator'], approver: ['approver'], admin: ['admin'] };

/** `BATON_ROLE_MAP`: a JSON object from claim values to a role or a list of roles. */
function readRoleMap(source: EnvSource | undefined): Record<string, GatewayRole[]> {
  const raw = rawEnv('BATON_ROLE_MAP', source);
  if (raw === undefined) return DEFAULT_ROLE_MAP;
  const expected = 'a JSON object from claim values to roles, e.g. {"baton-admins":"admin","sre":["operator","approver"]}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EnvError('BATON_ROLE_MAP', expected, 'malformed', raw);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new EnvError('BATON_ROLE_MAP', expected, 'malformed', raw);
  const out: Record<string, GatewayRole[]> = {};
  for (const [value, roles] of Object.entries(parsed)) {
    const list = (Array.isArray(roles) ? roles : [roles]).map((role) => GatewayRole.safeParse(role));
    if (list.some((p) => !p.success)) throw new EnvError('BATON_ROLE_MAP', `${expected}; roles are ${GatewayRole.options.join(', ')}`, 'malformed', raw);
    out[value] = list.map((p) => p.data as GatewayRole);
  }
  return out;
}

/**
 * Reads the gateway's configuration. With `BATON_DEV_ISSUER=true` the built-in issuer is served and
 * trusted (issuer = public URL + /dev-issuer); otherwise `BATON_OIDC_ISSUER` is required.
 *
 * @example
 * const config = readGatewayConfig(); // in main.ts
 */
export function readGatewayConfig(source?: EnvSource): GatewayConfig {
  const opts = source ? { source } : {};
  const server = readHttpServerEnv(DEFAULT_GATEWAY_PORT, source);
  const host = server.httpHost === '0.0.0.0' || server.httpHost === '::' ? '127.0.0.1' : server.httpHost;
  const publicUrl = envUrl('BATON_PUBLIC_URL', `http://${host}:${server.httpPort}`, { ...opts, protocols: ['http', 'https'] }).replace(/\/+$/, '');
  const devIssuer = envBool('BATON_DEV_ISSUER', false, opts);
  const issuer = devIssuer ? `${publicUrl}${DEV_ISSUER_PATH}` : envUrl('BATON_OIDC_ISSUER', undefined, { ...opts, protocols: ['http', 'https'] });
  const jwksUrl = rawEnv('BATON_OIDC_JWKS_URL', source) === undefined ? undefined : envUrl('BATON_OIDC_JWKS_URL', undefined, { ...opts, protocols: ['http', 'https'] });
  const apiKeysFile = rawEnv('BATON_API_KEYS_FILE', source);
  const cors = rawEnv('BATON_CORS_ORIGINS', source);
  return {
    ...server,
    natsUrl: envUrl('NATS_URL', LOCAL_NATS_URL, { ...opts, protocols: ['nats', 'tls'] }),
    requestTimeoutMs: envInt('BATON_GATEWAY_REQUEST_TIMEOUT_MS', 5000, { ...opts, min: 100, max: 120_000 }),
    assignmentWaitMs: envInt('BATON_ASSIGNMENT_WAIT_MS', 2000, { ...opts, min: 0, max: 60_000 }),
    publicUrl,
    oidc: {
      issuer,
      audience: envString('BATON_OIDC_AUDIENCE', 'baton', opts),
      jwksUrl,
      rolesClaim: envString('BATON_ROLES_CLAIM', 'roles', opts),
      groupsClaim: envString('BATON_GROUPS_CLAIM', 'groups', opts),
      roleMap: readRoleMap(source),
    },
    apiKeysFile: apiKeysFile === undefined ? undefined : path.resolve(apiKeysFile),
    actorKeyDir: path.resolve(envString('BATON_ACTOR_KEY_DIR', '.baton/gateway', opts)),
    devIssuer: devIssuer ? { dir: path.resolve(envString('BATON_DEV_ISSUER_DIR', '.baton/issuer', opts)) } : undefined,
    limits: {
      readPerSecond: envInt('BATON_RATE_READ_PER_S', 50, { ...opts, min: 1 }),
      writePerSecond: envInt('BATON_RATE_WRITE_PER_S', 10, { ...opts, min: 1 }),
      activeRunsPerPrincipal: envInt('BATON_RUN_QUOTA', 50, { ...opts, min: 0 }),
      maxBodyBytes: envInt('BATON_MAX_BODY_BYTES', MAX_MESSAGE_BYTES, { ...opts, min: 1024, max: MAX_MESSAGE_BYTES }),
    },
    corsOrigins: cors === undefined ? [] : cors.split(',').map((o) => o.trim()).filter((o) => o !== ''),
  };
}
