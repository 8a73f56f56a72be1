import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import { GatewayRole } from '@baton/contracts';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** The one signature algorithm of the built-in issuer. */
export const DEV_ISSUER_ALG = 'ES256';

const UsersFile = z.strictObject({
  users: z.array(
    z.strictObject({
      username: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/),
      /** `scrypt:<salt hex>:<hash hex>`. */
      password: z.string().regex(/^scrypt:[0-9a-f]+:[0-9a-f]+$/),
      roles: z.array(GatewayRole),
      groups: z.array(z.string()).default([]),
    }),
  ),
});
type UsersFile = z.infer<typeof UsersFile>;

/** Hashes a password as the users file keeps it. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('hex')}:${(await scrypt(password, salt, 32)).toString('hex')}`;
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [, salt, hash] = stored.split(':');
  const expected = Buffer.from(hash!, 'hex');
  const actual = await scrypt(password, Buffer.from(salt!, 'hex'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** The users created on first start, one per role, all with the generated local password. */
const DEFAULT_USERS: readonly { username: string; roles: GatewayRole[]; groups: string[] }[] = [
  { username: 'admin', roles: ['admin'], groups: [] },
  { username: 'operator', roles: ['operator'], groups: [] },
  { username: 'approver', roles: ['approver'], groups: [] },
  { username: 'viewer', roles: ['viewer'], groups: [] },
];

/** Reads a file, or creates it with `make()` when absent (exclusively: two replicas starting together agree on one). */
async function readOrCreate(file: string, make: () => Promise<string>): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    await writeFile(file, await make(), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFile(file, 'utf8');
}

export interface DevIssuerOptions {
  readonly dir: string;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime of a token, seconds. */
  readonly tokenTtlS: number;
  /** The local password of the default users; generated (and kept in `dir/dev-password`) when absent. */
  readonly password?: string | undefined;
}

/**
 * A small OpenID issuer for one machine (`npm start`): an ES256 key generated on first start and
 * kept in `dir/signing-key.json`, users in `dir/users.json` (scrypt password hashes; on first start
 * one per role, sharing the password in `dir/dev-password`), discovery and JWKS, and a token
 * endpoint that takes a user name and password. Local use only: anyone who can read `dir` can
 * sign in as anyone. A real deployment points BATON_OIDC_ISSUER at its identity provider instead.
 */
export class DevIssuer {
  private constructor(
    private readonly options: DevIssuerOptions,
    private readonly privateKey: Awaited<ReturnType<typeof importJWK>>,
    readonly publicJwk: JWK,
    private readonly users: UsersFile,
  ) {}

  static async open(options: DevIssuerOptions): Promise<DevIssuer> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const keyText = await readOrCreate(path.join(options.dir, 'signing-key.json'), async () => {
      const { privateKey } = await generateKeyPair(DEV_ISSUER_ALG, { extractable: true });
      const jwk = await exportJWK(privateKey);
      return JSON.stringify({ ...jwk, alg: DEV_ISSUER_ALG, use: 'sig', kid: await calculateJwkThumbprint(jwk) }, null, 2);
    });
    const privateJwk = JSON.parse(keyText) as JWK;
    const { d: _d, ...publicJwk } = privateJwk;
    const password = await readOrCreate(path.join(options.dir, 'dev-password'), async () => options.password ?? randomBytes(12).toString('base64url'));
    const usersText = await readOrCreate(path.join(options.dir, 'users.json'), async () => {
      const users = await Promise.all(DEFAULT_USERS.map(async (u) => ({ ...u, password: await hashPassword(password.trim()) })));
      return JSON.stringify({ users }, null, 2);
    });
    const users = UsersFile.parse(JSON.parse(usersText));
    return new DevIssuer(options, await importJWK(privateJwk, DEV_ISSUER_ALG), publicJwk, users);
  }

  get issuer(): string {
    return this.options.issuer;
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.options.issuer,
      jwks_uri: `${this.options.issuer}/jwks.json`,
      token_endpoint: `${this.options.issuer}/token`,
      grant_types_supported: ['password'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [DEV_ISSUER_ALG],
      token_endpoint_auth_methods_supported: ['none'],
      claims_supported: ['sub', 'preferred_username', 'roles', 'groups'],
    };
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** A signed access token for a user whose password matches; undefined otherwise. */
  async token(username: string, password: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number } | undefined> {
    const user = this.users.users.find((u) => u.username === username);
    // Hash even for an unknown user, so the answer takes as long either way.
    const ok = await passwordMatches(password, user?.password ?? 'scrypt:00:0000000000000000000000000000000000000000000000000000000000000000');
    if (user === undefined || !ok) return undefined;
    const token = await new SignJWT({ preferred_username: user.username, roles: user.roles, groups: user.groups })
      .setProtectedHeader({ alg: DEV_ISSUER_ALG, kid: String(this.publicJwk.kid), typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(user.username)
      .setIssuedAt()
      .setExpirationTime(`${this.options.tokenTtlS}s`)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: this.options.tokenTtlS };
  }
}
