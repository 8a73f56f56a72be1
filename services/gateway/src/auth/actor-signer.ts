import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { ActorAssertionClaims } from '@baton/contracts';

/** The actor key's algorithm: Ed25519 signs in microseconds, and the key is small. */
export const ACTOR_KEY_ALG = 'EdDSA';

/** The private key's file in the key directory; `actor-keys.json` beside it is the public JWKS services are given. */
export const ACTOR_SIGNING_KEY_FILE = 'actor-signing-key.json';
export const ACTOR_PUBLIC_KEYS_FILE = 'actor-keys.json';

/**
 * Signs the assertion each command carries (`Baton-Actor`): who the authenticated caller is, for
 * which command. The key lives in a directory of the gateway's (`BATON_ACTOR_KEY_DIR`), created on
 * first start when absent, with the public JWKS written beside it for the services to trust;
 * replicas share the directory (or a key provisioned into it).
 */
export class ActorSigner {
  private constructor(
    private readonly key: Awaited<ReturnType<typeof importJWK>>,
    private readonly kid: string,
  ) {}

  static async open(dir: string): Promise<ActorSigner> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, ACTOR_SIGNING_KEY_FILE);
    let jwk: JWK;
    try {
      jwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const { privateKey } = await generateKeyPair(ACTOR_KEY_ALG, { crv: 'Ed25519', extractable: true });
      const made = await exportJWK(privateKey);
      const fresh = { ...made, alg: ACTOR_KEY_ALG, use: 'sig', kid: await calculateJwkThumbprint(made) };
      try {
        await writeFile(file, JSON.stringify(fresh, null, 2), { flag: 'wx', mode: 0o600 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      jwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
    }
    const { d: _private, ...publicJwk } = jwk;
    await writeFile(path.join(dir, ACTOR_PUBLIC_KEYS_FILE), JSON.stringify({ keys: [publicJwk] }, null, 2), { mode: 0o644 });
    return new ActorSigner(await importJWK(jwk, ACTOR_KEY_ALG), String(jwk.kid));
  }

  sign(claims: ActorAssertionClaims): Promise<string> {
    return new SignJWT({ act: claims.act, cid: claims.cid, sbj: claims.sbj })
      .setProtectedHeader({ alg: ACTOR_KEY_ALG, kid: this.kid })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(this.key);
  }
}
