import {
  BatonError,
  gatewayRouteOf,
  isErrorCode,
  parseReplyData,
  pathParamsOf,
  type DataOf,
  type MessageDefinition,
  type ReplyOf,
} from '@baton/contracts';
import type { CommandOptions, QueryOptions } from '@baton/messaging';
import { CliError, ExitCode } from '../failure';
import { connectFailureReason, type RpcClient } from '../rpc';
import { readStoredLogin } from './credentials';

/** Where the CLI talks to Baton over HTTP, and with which token. */
export interface GatewayTarget {
  readonly url: string;
  readonly token: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether the CLI goes through the gateway: `--gateway`/`$BATON_GATEWAY_URL`, or a stored login
 * (`baton login`) when neither `--nats` nor `$NATS_URL` asks for NATS (operators and tests that
 * name a NATS server keep it). The token is `$BATON_TOKEN`, else the stored one for that gateway.
 */
export function gatewayTarget(env: Env, flags: { readonly gateway?: string | undefined; readonly nats?: string | undefined }): GatewayTarget | undefined {
  const stored = readStoredLogin(env);
  const given = flags.gateway ?? (env['BATON_GATEWAY_URL']?.trim() || undefined);
  const natsAsked = flags.nats !== undefined || (env['NATS_URL']?.trim() ?? '') !== '';
  const url = given ?? (natsAsked ? undefined : stored?.gateway);
  if (url === undefined) return undefined;
  const base = url.replace(/\/+$/, '');
  const token = env['BATON_TOKEN']?.trim() || (stored !== undefined && stored.gateway.replace(/\/+$/, '') === base ? stored.token : undefined);
  return { url: base, token };
}

/** A problem+json reply as an error the CLI reports (see failure.ts). */
function errorOfProblem(status: number, body: unknown, gateway: string): Error {
  const p = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; detail?: unknown; details?: unknown };
  const detail = typeof p.detail === 'string' ? p.detail : `HTTP ${status}`;
  switch (p.code) {
    case 'UNAUTHENTICATED':
      return new CliError(`UNAUTHENTICATED: ${detail}. Log in with: baton login --gateway ${gateway} --user <name>`);
    case 'RATE_LIMITED':
    case 'QUOTA_EXCEEDED':
      return new CliError(`${p.code}: ${detail}`);
    case 'SERVICE_UNAVAILABLE':
      return new CliError(`${detail} (through the gateway at ${gateway})`, ExitCode.unreachable);
    default:
      return isErrorCode(p.code) ? new BatonError(p.code, detail, p.details) : new CliError(`HTTP ${status} from ${gateway}: ${detail}`);
  }
}

/**
 * The CLI's commands and queries over the gateway's REST API: each message goes to its route
 * (GATEWAY_ROUTES), a command's id as its `Idempotency-Key`. The caller is whoever the token
 * says; an `actor` in the options is not sent (the gateway sets it from the token).
 */
export class GatewayRpcClient implements RpcClient {
  constructor(
    private readonly target: GatewayTarget,
    private readonly timeoutMs: number,
  ) {}

  command<D extends MessageDefinition>(def: D, data: DataOf<D>, options: CommandOptions): Promise<ReplyOf<D>> {
    return this.call(def, data, options.commandId, options.timeoutMs);
  }

  query<D extends MessageDefinition>(def: D, data: DataOf<D>, options: QueryOptions = {}): Promise<ReplyOf<D>> {
    return this.call(def, data, undefined, options.timeoutMs);
  }

  private async call<D extends MessageDefinition>(def: D, data: DataOf<D>, commandId: string | undefined, timeoutMs: number | undefined): Promise<ReplyOf<D>> {
    const route = gatewayRouteOf(def);
    if (route === undefined) throw new CliError(`${def.subject} is not offered by the gateway; use --nats for it`);
    const rest: Record<string, unknown> = { ...(data as Record<string, unknown>) };
    let path = route.path;
    for (const name of pathParamsOf(route.path)) {
      path = path.replace(`{${name}}`, encodeURIComponent(String(rest[name] ?? '')));
      delete rest[name];
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.target.token !== undefined) headers['Authorization'] = `Bearer ${this.target.token}`;
    if (commandId !== undefined) headers['Idempotency-Key'] = commandId;
    let url = `${this.target.url}${path}`;
    let body: string | undefined;
    if (route.method === 'GET') {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(rest)) if (v !== undefined && v !== null) qs.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
      if ([...qs.keys()].length > 0) url += `?${qs.toString()}`;
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(rest);
    }
    let res: Response;
    try {
      res = await fetch(url, { method: route.method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(timeoutMs ?? this.timeoutMs) });
    } catch (err) {
      throw new CliError(`cannot reach the gateway at ${this.target.url} (${connectFailureReason(err)}). Is Baton running? Start it with: npm start`, ExitCode.unreachable);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(`HTTP ${res.status} from ${url} is not JSON`);
    }
    if (!res.ok) throw errorOfProblem(res.status, parsed, this.target.url);
    return parseReplyData(def, parsed);
  }
}
