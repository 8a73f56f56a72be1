// The local stack's NATS identities (docs/security.md), for scripts/infra.sh:
//
//   node -r @swc-node/register scripts/nats-auth.ts init <server-config-file> <resolver-dir>
//   node -r @swc-node/register scripts/nats-auth.ts compose      (npm run nats-auth -- compose)
//
// Opens (the first time: creates) the operator and accounts in BATON_NATS_AUTH_DIR (default
// .baton/nats-auth), writes the server's auth configuration (operator, system account, full
// resolver in <resolver-dir>), and issues the credentials the stack needs once: one per service,
// the CLI's (admin-operator) and the test harness's (harness-tests). Prints the keys directory.
//
// `compose` does the same for docker-compose.yml's secrets, under <keys>/compose/: auth.conf
// (resolver in the NATS container's /data/jwt) and creds/service-<name>.creds, readable by the
// image's user (uid 1000); the keys directory itself stays owner-only.
import { access, chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ServiceNames } from '@baton/contracts';
import { natsAuthDir, NatsAuthStore, type CredentialKind } from '@baton/nats-auth';

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Issues the stack's credentials that do not exist yet. */
async function issueStackCredentials(store: NatsAuthStore): Promise<void> {
  const wanted: [CredentialKind, string][] = [...ServiceNames.map((s): [CredentialKind, string] => ['service', s]), ['admin', 'operator'], ['harness', 'tests']];
  for (const [kind, id] of wanted) {
    if (!(await exists(store.credsFile(kind, id)))) await store.issue(kind, id);
  }
}

async function main(): Promise<void> {
  const [command, configFile, resolverDir] = process.argv.slice(2);
  const store = await NatsAuthStore.open(natsAuthDir(process.env, path.resolve(__dirname, '..')));
  if (command === 'init' && configFile !== undefined && resolverDir !== undefined) {
    await writeFile(configFile, store.serverConfig({ resolverDir: path.resolve(resolverDir) }), { mode: 0o600 });
    await issueStackCredentials(store);
  } else if (command === 'compose') {
    await issueStackCredentials(store);
    const out = path.join(store.dir, 'compose');
    await mkdir(path.join(out, 'creds'), { recursive: true, mode: 0o700 });
    await writeFile(path.join(out, 'auth.conf'), store.serverConfig({ resolverDir: '/data/jwt' }));
    await chmod(path.join(out, 'auth.conf'), 0o444);
    for (const service of ServiceNames) {
      const target = path.join(out, 'creds', `service-${service}.creds`);
      await copyFile(store.credsFile('service', service), target);
      // Bind-mounted as a Compose secret: the image's user (uid 1000) must read it; the keys directory (0700) keeps others out.
      await chmod(target, 0o444);
    }
  } else {
    process.stderr.write('usage: nats-auth.ts init <server-config-file> <resolver-dir> | compose\n');
    process.exit(2);
  }
  process.stdout.write(`${store.dir}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`nats-auth: ${(err as Error).message}\n`);
  process.exit(1);
});
