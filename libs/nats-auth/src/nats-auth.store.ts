import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { decode, encodeAccount, encodeOperator, encodeUser, fmtCreds, type Account, type ClaimsData } from '@nats-io/jwt';
import { BatonError } from '@baton/contracts';
import { CREDENTIAL_ID, permissionsFor, type CredentialKind, type NatsPermissions } from './permissions';

/** The Baton account's name in its JWT; every Baton client connects to it. */
export const BATON_ACCOUNT = 'BATON';
const OPERATOR = 'baton';
const SYSTEM_ACCOUNT = 'SYS';

/** Where the keys live when nothing says otherwise: `.baton/nats-auth` under the repository (never committed). */
export const DEFAULT_NATS_AUTH_DIR = '.baton/nats-auth';

/** `BATON_NATS_AUTH_DIR`, else {@link DEFAULT_NATS_AUTH_DIR} under `cwd`. */
export function natsAuthDir(env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): string {
  const dir = env.BATON_NATS_AUTH_DIR?.trim();
  return path.resolve(cwd, dir === undefined || dir === '' ? DEFAULT_NATS_AUTH_DIR : dir);
}

/** One credential issued: the user's public key is what a revocation names. */
export interface IssuedUser {
  readonly kind: CredentialKind;
  readonly id: string;
  readonly publicKey: string;
  readonly issuedAt: string;
  readonly file: string;
}

export interface IssuedCredentials extends IssuedUser {
  /** The `.creds` text: user JWT and NKey seed. */
  readonly creds: string;
  readonly permissions: NatsPermissions;
}

interface Registry {
  users: IssuedUser[];
}

const text = new TextDecoder();
const bytes = new TextEncoder();

async function readText(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').then(
    (s) => s.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    },
  );
}

/** Writes a secret readable by its owner only, atomically (a reader never sees half a file). */
async function writeSecret(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/**
 * Baton's NATS identities (decentralized auth): an operator, the system account (for pushing
 * account updates) and the Baton account, whose signing key signs every user JWT. Created once
 * in a directory (`.baton/nats-auth/`, or `BATON_NATS_AUTH_DIR`), kept owner-only; issuing
 * and revoking credentials never restarts a server: revocations go into the account JWT, which
 * is pushed to the servers' full resolver ({@link pushAccount}).
 *
 * @example
 * const auth = await NatsAuthStore.open(natsAuthDir());
 * const { file } = await auth.issue('agent', 'be-1');          // .creds for agent be-1
 * await writeFile('nats-auth.conf', auth.serverConfig({ resolverDir: '/data/jwt' }));
 */
export class NatsAuthStore {
  private constructor(
    readonly dir: string,
    private readonly operator: KeyPair,
    private readonly system: KeyPair,
    private readonly account: KeyPair,
    private readonly signing: KeyPair,
    private operatorJwt: string,
    private systemJwt: string,
    private accountJwt: string,
  ) {}

  /** Opens the store in `dir`, creating the operator and both accounts the first time. */
  static async open(dir: string): Promise<NatsAuthStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const seedOf = async (name: string, create: () => KeyPair): Promise<KeyPair> => {
      const file = path.join(dir, `${name}.nk`);
      const seed = await readText(file);
      if (seed !== undefined) return fromSeed(bytes.encode(seed));
      const kp = create();
      await writeSecret(file, kp.getSeed());
      return kp;
    };
    const operator = await seedOf('operator', createOperator);
    const system = await seedOf('system-account', createAccount);
    const account = await seedOf('account', createAccount);
    const signing = await seedOf('account-signing', createAccount);
    const operatorJwt =
      (await readText(path.join(dir, 'operator.jwt'))) ??
      (await encodeOperator(OPERATOR, operator, { system_account: system.getPublicKey() }));
    const systemJwt = (await readText(path.join(dir, 'system-account.jwt'))) ?? (await encodeAccount(SYSTEM_ACCOUNT, system, { limits: NO_LIMITS }, { signer: operator }));
    const accountJwt = (await readText(path.join(dir, 'account.jwt'))) ?? (await encodeAccount(BATON_ACCOUNT, account, accountClaims(signing, {}), { signer: operator }));
    const store = new NatsAuthStore(dir, operator, system, account, signing, operatorJwt, systemJwt, accountJwt);
    await writeSecret(path.join(dir, 'operator.jwt'), operatorJwt);
    await writeSecret(path.join(dir, 'system-account.jwt'), systemJwt);
    await writeSecret(path.join(dir, 'account.jwt'), accountJwt);
    if ((await readText(path.join(dir, 'creds', 'sys.creds'))) === undefined) {
      const user = createUser();
      const jwt = await encodeUser('sys', user, system, {});
      await writeSecret(path.join(dir, 'creds', 'sys.creds'), fmtCreds(jwt, user));
    }
    return store;
  }

  /** The Baton account's public key (what `$SYS.REQ.ACCOUNT.<key>.CLAIMS.UPDATE` names). */
  get accountPublicKey(): string {
    return this.account.getPublicKey();
  }

  /** The current Baton account JWT (with its revocations). */
  get accountToken(): string {
    return this.accountJwt;
  }

  /** Credentials of a system-account user: what pushes account updates to the servers. */
  get systemCredsFile(): string {
    return path.join(this.dir, 'creds', 'sys.creds');
  }

  /** Where a credential goes when the caller names no file: `<dir>/creds/<kind>-<id>.creds`. */
  credsFile(kind: CredentialKind, id: string): string {
    return path.join(this.dir, 'creds', `${kind}-${id}.creds`);
  }

  /**
   * The server configuration that turns auth on (include it from nats-server.conf): the operator,
   * the system account and a full account resolver in `resolverDir`, preloaded with both accounts
   * so a fresh server knows them. With it, a client without valid credentials is refused.
   */
  serverConfig(options: { resolverDir: string }): string {
    return [
      '# Generated by @baton/nats-auth (docs/security.md): decentralized auth, no anonymous clients.',
      `operator: ${this.operatorJwt}`,
      `system_account: ${this.system.getPublicKey()}`,
      'resolver: {',
      '  type: full',
      `  dir: ${JSON.stringify(options.resolverDir)}`,
      '  allow_delete: false',
      '  interval: "2m"',
      '}',
      'resolver_preload: {',
      `  ${this.system.getPublicKey()}: ${this.systemJwt}`,
      `  ${this.account.getPublicKey()}: ${this.accountJwt}`,
      '}',
      '',
    ].join('\n');
  }

  /**
   * Issues a credential: a new user key, its JWT signed by the account's signing key with the
   * kind's permissions (generated from the contracts), written owner-only to `file` (default
   * {@link credsFile}). Each call makes a new key; revoking an id revokes every key issued to it.
   */
  async issue(kind: CredentialKind, id: string, options: { file?: string } = {}): Promise<IssuedCredentials> {
    if (!CREDENTIAL_ID.test(id)) {
      throw new BatonError('VALIDATION_FAILED', `credential id "${id}" must be one NATS subject token: letters, digits, dash or underscore (1-128)`, { id });
    }
    const permissions = permissionsFor(kind, id);
    const user = createUser();
    const jwt = await encodeUser(
      `${kind}:${id}`,
      user,
      this.account,
      { pub: { allow: [...permissions.pub] }, sub: { allow: [...permissions.sub] }, tags: [`baton-kind:${kind}`, `baton-id:${id.toLowerCase()}`] },
      { signer: this.signing },
    );
    const creds = text.decode(fmtCreds(jwt, user));
    const file = path.resolve(options.file ?? this.credsFile(kind, id));
    await writeSecret(file, creds);
    const issued: IssuedUser = { kind, id, publicKey: user.getPublicKey(), issuedAt: new Date().toISOString(), file };
    const registry = await this.registry();
    registry.users.push(issued);
    await this.saveRegistry(registry);
    return { ...issued, creds, permissions };
  }

  /** Every credential issued from this store (revoked ones included). */
  async issued(): Promise<readonly IssuedUser[]> {
    return (await this.registry()).users;
  }

  /** Public keys revoked in the current account JWT. */
  revoked(): readonly string[] {
    return Object.keys(accountOf(this.accountJwt).revocations ?? {});
  }

  /**
   * Revokes every credential issued to `kind`/`id`: their keys go into the account JWT's
   * revocation list, re-signed by the operator and saved. Push it with {@link pushAccount} so
   * running servers close the live connections and refuse the next ones. NOT_FOUND when nothing
   * was issued to that id here.
   */
  async revoke(kind: CredentialKind, id: string): Promise<{ publicKeys: string[]; accountJwt: string }> {
    const keys = (await this.issued()).filter((u) => u.kind === kind && u.id === id).map((u) => u.publicKey);
    if (keys.length === 0) throw new BatonError('NOT_FOUND', `no ${kind} credentials were issued to "${id}" from ${this.dir}`, { kind, id });
    const current = accountOf(this.accountJwt);
    // A revocation covers keys whose JWT was issued at or before this second: one second later, so one issued this second is covered.
    const at = Math.floor(Date.now() / 1000) + 1;
    const revocations = { ...(current.revocations ?? {}) };
    for (const k of keys) revocations[k] = at;
    this.accountJwt = await encodeAccount(BATON_ACCOUNT, this.account, { ...current, revocations }, { signer: this.operator });
    await writeSecret(path.join(this.dir, 'account.jwt'), this.accountJwt);
    return { publicKeys: keys, accountJwt: this.accountJwt };
  }

  private async registry(): Promise<Registry> {
    const raw = await readText(path.join(this.dir, 'issued.json'));
    return raw === undefined ? { users: [] } : (JSON.parse(raw) as Registry);
  }

  private async saveRegistry(registry: Registry): Promise<void> {
    await writeSecret(path.join(this.dir, 'issued.json'), `${JSON.stringify(registry, null, 2)}\n`);
  }
}

/** Connections, subscriptions and payloads unlimited (an account JWT's defaults are zero). */
const NO_LIMITS = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

function accountOf(jwt: string): Partial<Account> {
  return (decode(jwt) as ClaimsData<Account>).nats;
}

/** The Baton account: JetStream on without limits, users signed by the signing key only. */
function accountClaims(signing: KeyPair, extra: Partial<Account>): Partial<Account> {
  return {
    ...extra,
    signing_keys: [signing.getPublicKey()],
    limits: { ...NO_LIMITS, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
  };
}
