import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { GatewayError } from '../http/problem';
import type { ApiKeyRing } from './api-keys';
import { principalOfClaims, type ClaimMapping } from './claims';
import type { Principal } from './principal';

/**
 * Signature algorithms a token may use: asymmetric only, so the gateway never holds a secret that
 * could mint tokens, and a token that claims `none` or an HMAC algorithm (signed with the public
 * key as the secret) is refused before any key is looked at.
 */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface AuthenticatorOptions extends ClaimMapping {
  readonly issuer: string;
  readonly audience: string;
  /** JWKS URL; when absent, the issuer's discovery document names it. */
  readonly jwksUrl?: string | undefined;
  /** Current API keys (the ring can be swapped on reload). */
  readonly apiKeys: () => ApiKeyRing;
  /** Clock skew tolerated on `exp`/`nbf`, seconds. Default 30. */
  readonly clockToleranceS?: number;
}

const unauthenticated = (message: string): GatewayError =>
  new GatewayError('UNAUTHENTICATED', message, undefined, { 'WWW-Authenticate': 'Bearer realm="baton", error="invalid_token"' });

/**
 * Turns a request's credentials into a {@link Principal}: `Authorization: Bearer <JWT>` verified
 * against the issuer's JWKS (issuer, audience, expiry, asymmetric signature), or an API key
 * (`Authorization: Bearer <key>` or `X-API-Key`). Anything else is UNAUTHENTICATED (401).
 */
export class Authenticator {
  private jwks: JWTVerifyGetKey | undefined;
  private discovering: Promise<JWTVerifyGetKey> | undefined;
  /** Tokens verified here, until their expiry: what {@link knownPrincipal} answers for a token. */
  private readonly verified = new Map<string, { readonly principal: Principal; readonly expiresAtMs: number }>();

  constructor(
    private readonly options: AuthenticatorOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(authorization: string | undefined, apiKeyHeader: string | undefined): Promise<Principal> {
    const credential = credentialOf(authorization, apiKeyHeader);
    if (typeof credential === 'string') throw unauthenticated(credential);
    return credential.kind === 'token' ? this.byToken(credential.value) : this.byApiKey(credential.value);
  }

  /**
   * Who these credentials were already shown to be, at the cost of a map lookup and with nothing
   * awaited: a known API key, or a token this replica verified before and that has not expired.
   * Undefined for anything else. For refusals at the door (rate-gate.ts) only: what is let in goes
   * through {@link authenticate}.
   */
  knownPrincipal(authorization: string | undefined, apiKeyHeader: string | undefined): Principal | undefined {
    const credential = credentialOf(authorization, apiKeyHeader);
    if (typeof credential === 'string') return undefined;
    if (credential.kind === 'key') return this.options.apiKeys().principalOf(credential.value);
    const seen = this.verified.get(credential.value);
    return seen !== undefined && seen.expiresAtMs > this.now() ? seen.principal : undefined;
  }

  private byApiKey(key: string): Principal {
    const principal = this.options.apiKeys().principalOf(key);
    if (principal === undefined) throw unauthenticated('unknown API key');
    return principal;
  }

  private async byToken(token: string): Promise<Principal> {
    const keys = await this.keySet();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.options.clockToleranceS ?? 30,
      }));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // Not a verdict on the token: the issuer's keys could not be fetched.
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC' || typeof code !== 'string' || !code.startsWith('ERR_J')) {
        throw new GatewayError('SERVICE_UNAVAILABLE', `the token issuer's keys could not be fetched: ${(err as Error).message}`);
      }
      throw unauthenticated(`invalid token: ${tokenFailure(code)}`);
    }
    const principal = principalOfClaims(payload, this.options);
    if (principal === undefined) throw unauthenticated('invalid token: no usable sub claim');
    this.remember(token, principal, (payload.exp ?? 0) * 1000);
    return principal;
  }

  /** Keeps a verified token for {@link knownPrincipal}; a full map first drops what expired, else everything. */
  private remember(token: string, principal: Principal, expiresAtMs: number): void {
    if (this.verified.size >= MAX_REMEMBERED_TOKENS) {
      const now = this.now();
      for (const [t, v] of this.verified) if (v.expiresAtMs <= now) this.verified.delete(t);
      if (this.verified.size >= MAX_REMEMBERED_TOKENS) this.verified.clear();
    }
    this.verified.set(token, { principal, expiresAtMs });
  }

  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.jwks !== undefined) return this.jwks;
    if (this.options.jwksUrl !== undefined) {
      this.jwks = createRemoteJWKSet(new URL(this.options.jwksUrl));
      return this.jwks;
    }
    this.discovering ??= this.discover().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let jwksUri: unknown;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      jwksUri = ((await res.json()) as { jwks_uri?: unknown }).jwks_uri;
    } catch (err) {
      throw new GatewayError('SERVICE_UNAVAILABLE', `the token issuer's discovery document ${url} could not be read: ${(err as Error).message}`);
    }
    if (typeof jwksUri !== 'string') throw new GatewayError('SERVICE_UNAVAILABLE', `the discovery document ${url} names no jwks_uri`);
    this.jwks = createRemoteJWKSet(new URL(jwksUri));
    return this.jwks;
  }
}

/** Verified tokens kept for {@link Authenticator.knownPrincipal}: far more than the people one replica serves at once. */
const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * The credential of a request: an API key (`X-API-Key`, or a bearer that is not a JWT) or a token;
 * a string says what is wrong with what was sent.
 */
function credentialOf(authorization: string | undefined, apiKeyHeader: string | undefined): { readonly kind: 'key' | 'token'; readonly value: string } | string {
  if (apiKeyHeader !== undefined && apiKeyHeader !== '') return { kind: 'key', value: apiKeyHeader };
  if (authorization === undefined || authorization === '') return 'send credentials: Authorization: Bearer <token>, or X-API-Key: <key>';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (m === null) return 'the Authorization header must be "Bearer <token>"';
  const value = m[1]!;
  return { kind: value.split('.').length === 3 ? 'token' : 'key', value };
}

/** Why a token was refused, in words that help the caller and reveal nothing about keys. */
function tokenFailure(code: unknown): string {
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return 'a claim (issuer, audience, not-before, subject) does not match';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'its algorithm is not accepted (asymmetric signatures only)';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'signed by a key the issuer does not publish';
    default:
      return 'malformed';
  }
}
