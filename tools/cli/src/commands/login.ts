import { Option, type Command } from '@commander-js/extra-typings';
import { MeView } from '@baton/contracts';
import { parseName } from '../args';
import type { CliContext } from '../context';
import { CliError, ExitCode } from '../failure';
import { connectFailureReason } from '../rpc';
import { readSecretFile, writeStoredLogin } from '../http/credentials';

/** The path of the built-in issuer under a gateway (the one `npm start` runs). */
const DEV_ISSUER_PATH = '/dev-issuer';

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new CliError(`cannot reach ${new URL(url).origin} (${connectFailureReason(err)}). Is Baton running? Start it with: npm start`, ExitCode.unreachable);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

/** A token from the gateway's built-in issuer for a user name and password (local machines only). */
async function devToken(gateway: string, user: string, password: string): Promise<string> {
  const discovery = await getJson(`${gateway}${DEV_ISSUER_PATH}/.well-known/openid-configuration`);
  const endpoint = (discovery.body as { token_endpoint?: unknown }).token_endpoint;
  if (discovery.status !== 200 || typeof endpoint !== 'string') {
    throw new CliError(`${gateway} runs no built-in issuer (it trusts an external one): get a token from your identity provider and run baton login --gateway ${gateway} --token <token>`);
  }
  const r = await getJson(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: user, password }) });
  const token = (r.body as { access_token?: unknown }).access_token;
  if (r.status !== 200 || typeof token !== 'string') throw new CliError(`login refused: ${(r.body as { detail?: unknown }).detail ?? `HTTP ${r.status}`}`);
  return token;
}

function expiryOf(token: string): string | null {
  try {
    const exp = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? new Date(exp * 1000).toISOString() : null;
  } catch {
    return null;
  }
}

export function registerLoginCommand(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('sign in to a gateway (--gateway, default $BATON_GATEWAY_URL or http://127.0.0.1:3000) and keep the token: later commands then go over HTTP as you (the built-in issuer of npm start takes a user and password; for another identity provider pass --token)')
    .addOption(new Option('--user <name>', 'user name at the built-in issuer').argParser(parseName))
    .option('--password-file <path>', 'read the password from this file (npm start keeps the local one in .baton/issuer/dev-password); default: $BATON_PASSWORD')
    .option('--token <token>', 'a bearer token from your identity provider, instead of --user')
    .action(async (opts) => {
      // --gateway is the program's option (it also selects HTTP for every other command).
      const flag = (program.opts() as { gateway?: string }).gateway;
      const gateway = (flag ?? (ctx.deps.env['BATON_GATEWAY_URL']?.trim() || 'http://127.0.0.1:3000')).replace(/\/+$/, '');
      let token = opts.token;
      if (token === undefined) {
        if (opts.user === undefined) throw new CliError('say who you are: --user <name> (with --password-file or $BATON_PASSWORD), or --token <token>');
        const password = opts.passwordFile !== undefined ? await readSecretFile(opts.passwordFile) : ctx.deps.env['BATON_PASSWORD'];
        if (password === undefined || password === '') throw new CliError('no password: pass --password-file <path> or set BATON_PASSWORD');
        token = await devToken(gateway, opts.user, password);
      }
      const me = await getJson(`${gateway}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
      const who = MeView.safeParse(me.body);
      if (me.status !== 200 || !who.success) throw new CliError(`the gateway does not accept the token: ${(me.body as { detail?: unknown }).detail ?? `HTTP ${me.status}`}`);
      const file = await writeStoredLogin(ctx.deps.env, { gateway, token, subject: who.data.subject, expiresAt: expiryOf(token) });
      ctx.emit({ gateway, ...who.data, credentials: file }, () => `Logged in to ${gateway} as ${who.data.subject} (roles: ${who.data.roles.join(', ') || 'none'}); token kept in ${file}`);
    });
}
