// The local stack's NATS identities (docs/security.md), for scripts/infra.sh:
//
//   node -r @swc-node/register scripts/nats-auth.ts init <server-config-file> <resolver-dir>
//
// Opens (the first time: creates) the operator and accounts in BATON_NATS_AUTH_DIR (default
// .baton/nats-auth), writes the server's auth configuration (operator, system account, full
// resolver in <resolver-dir>), and issues the credentials the stack needs once: one per service,
// the CLI's (admin-operator) and the test harness's (harness-tests). Prints the keys directory.
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ServiceNames } from '@baton/contracts';
import { natsAuthDir, NatsAuthStore, type CredentialKind } from '@baton/nats-auth';

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function main(): Promise<void> {
  const [command, configFile, resolverDir] = process.argv.slice(2);
  if (command !== 'init' || configFile === undefined || resolverDir === undefined) {
    process.stderr.write('usage: nats-auth.ts init <server-config-file> <resolver-dir>\n');
    process.exit(2);
  }
  const store = await NatsAuthStore.open(natsAuthDir(process.env, path.resolve(__dirname, '..')));
  await mkdir(resolverDir, { recursive: true });
  await writeFile(configFile, store.serverConfig({ resolverDir: path.resolve(resolverDir) }), { mode: 0o600 });
  const wanted: [CredentialKind, string][] = [...ServiceNames.map((s): [CredentialKind, string] => ['service', s]), ['admin', 'operator'], ['harness', 'tests']];
  for (const [kind, id] of wanted) {
    if (!(await exists(store.credsFile(kind, id)))) await store.issue(kind, id);
  }
  process.stdout.write(`${store.dir}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`nats-auth: ${(err as Error).message}\n`);
  process.exit(1);
});
