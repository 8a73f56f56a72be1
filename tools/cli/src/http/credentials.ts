import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** What `baton login` keeps: the gateway and a bearer token for it. */
export const StoredLogin = z.object({
  gateway: z.string().url(),
  token: z.string().min(1),
  subject: z.string(),
  /** ISO time the token expires, when it says. */
  expiresAt: z.string().nullable(),
});
export type StoredLogin = z.infer<typeof StoredLogin>;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the login is kept: `$BATON_CREDENTIALS_FILE`, else `$XDG_CONFIG_HOME/baton/credentials.json`,
 * else `~/.config/baton/credentials.json`; undefined when none of those is known.
 */
export function credentialsPath(env: Env): string | undefined {
  const explicit = env['BATON_CREDENTIALS_FILE']?.trim();
  if (explicit) return path.resolve(explicit);
  const config = env['XDG_CONFIG_HOME']?.trim() || (env['HOME']?.trim() ? path.join(env['HOME'].trim(), '.config') : undefined);
  return config === undefined ? undefined : path.join(config, 'baton', 'credentials.json');
}

/** The stored login, or undefined when there is none (or it cannot be read). */
export function readStoredLogin(env: Env): StoredLogin | undefined {
  const file = credentialsPath(env);
  if (file === undefined) return undefined;
  try {
    const parsed = StoredLogin.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the login readable by its owner only. */
export async function writeStoredLogin(env: Env, login: StoredLogin): Promise<string> {
  const file = credentialsPath(env);
  if (file === undefined) throw new Error('no place to keep the login: set BATON_CREDENTIALS_FILE or HOME');
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** Reads a file's first line (a password file). */
export async function readSecretFile(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).split('\n')[0]!.trim();
}
