// Proves, without a container engine, that what the image, docker compose and the Helm chart
// tell Baton's image to run exists. Run by scripts/compose-check.sh (Dockerfile + compose) and
// scripts/helm-check.sh (rendered manifests), after `npm run build`. Usage:
//   node entrypoints.check.mjs --dockerfile=Dockerfile [--compose=docker-compose.yml] [--manifests=rendered.yaml] [--run]
// Checks:
//   - every `npm run <script>` in the Dockerfile, compose or the manifests is a script of package.json;
//   - every file a container command names (services/<SERVICE>/dist/main.js, scripts/migrate.mjs)
//     exists in the build and reaches the runtime stage of the Dockerfile;
//   - with --run, each distinct command runs here, from the repository root (the image's /app),
//     with the container's environment but deliberately bad HTTP_PORT and no DATABASE_URL: it
//     must load every module and stop at configuration, naming one of those variables. A
//     missing file or module fails the check.
// Prints every problem found and exits 1 if there is any.
import console from 'node:console';
import process from 'node:process';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parseDocument } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const run = args.includes('--run');
const problems = [];
const fail = (msg) => problems.push(msg);
const LOCAL_IMAGE = 'baton:local';

const scripts = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts ?? {};

/** `npm run [-s|--silent|…] <name>` anywhere in a command or shell line. */
function checkNpmScripts(where, text) {
  for (const m of text.matchAll(/\bnpm\s+(?:run|run-script)\s+((?:-{1,2}[\w-]+\s+)*)([\w:.-]+)/g)) {
    if (!(m[2] in scripts)) fail(`${where}: runs "npm run ${m[2]}", which package.json does not define`);
  }
  for (const m of text.matchAll(/\bnpm\s+(start|test)\b/g)) if (!(m[1] in scripts)) fail(`${where}: runs "npm ${m[1]}", which package.json does not define`);
}

// ---------- Dockerfile ----------
const dockerfile = option('dockerfile') ?? path.join(root, 'Dockerfile');
const lines = readFileSync(dockerfile, 'utf8')
  .replace(/\\\r?\n/g, ' ')
  .split(/\r?\n/)
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const stages = [];
for (const line of lines) {
  const [instruction, ...rest] = line.split(/\s+/);
  const body = rest.join(' ');
  if (/^FROM$/i.test(instruction)) stages.push({ name: /\bAS\s+(\S+)/i.exec(body)?.[1], copies: [], env: {}, args: {}, cmd: undefined });
  const stage = stages.at(-1);
  if (!stage) continue;
  if (/^ARG$/i.test(instruction)) for (const m of body.matchAll(/(\w+)=(\S+)/g)) stage.args[m[1]] = m[2];
  if (/^RUN$/i.test(instruction)) checkNpmScripts(`Dockerfile (stage ${stage.name}) RUN`, body);
  if (/^COPY$/i.test(instruction)) {
    const parts = body.split(/\s+/);
    const from = parts.find((p) => p.startsWith('--from='))?.slice(7);
    const paths = parts.filter((p) => !p.startsWith('--'));
    stage.copies.push({ from, sources: paths.slice(0, -1), dest: paths.at(-1) });
  }
  if (/^ENV$/i.test(instruction)) {
    for (const m of body.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[m[1]] = m[2].replace(/^"|"$/g, '').replace(/\$\{(\w+)\}/g, (_, k) => stage.args[k] ?? '');
  }
  if (/^CMD$/i.test(instruction)) {
    stage.cmd = JSON.parse(body);
    checkNpmScripts('Dockerfile CMD', stage.cmd.join(' '));
  }
}
/** .dockerignore patterns (no `!` exceptions are used) as regular expressions on context paths. */
const ignorePath = path.join(path.dirname(dockerfile), '.dockerignore');
const ignored = (existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8').split(/\r?\n/) : [])
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
  .map((glob) => {
    const body = glob
      .replace(/^\/|\/$/g, '')
      .split(/(\*\*\/|\*|\?)/)
      .map((part) => ({ '**/': '(?:.*/)?', '*': '[^/]*', '?': '[^/]' })[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
      .join('');
    return { glob, re: new RegExp(`^${body}(?:/.*)?$`) };
  });
const excludedBy = (file) => ignored.find((i) => i.re.test(file.replace(/^\.\//, '')))?.glob;

const runtime = stages.at(-1);
if (!runtime?.cmd) fail('Dockerfile: the last stage has no CMD (exec form)');
for (const c of runtime?.copies ?? []) {
  if (c.from) continue;
  for (const s of c.sources) {
    if (!existsSync(path.join(root, s))) fail(`Dockerfile: COPY ${s}: no such file in the build context`);
    else if (excludedBy(s)) fail(`Dockerfile: COPY ${s}: .dockerignore excludes it (${excludedBy(s)})`);
  }
}

/** Whether a repository path reaches the runtime stage: a workspace's dist/ (gathered by the build stage) or an explicit COPY. */
function inImage(file) {
  if (/^(libs|services|tools)\/[^/]+\/dist\//.test(file)) {
    return runtime.copies.some((c) => c.from && c.from !== 'prod-deps');
  }
  return runtime.copies.some((c) => !c.from && c.sources.some((s) => file === s.replace(/^\.\//, '') || file.startsWith(`${s.replace(/^\.\/|\/$/g, '')}/`)));
}

// ---------- containers: compose and manifests ----------
/** { where, command: string[], env } for every container running Baton's image. */
const containers = [];

const composeFile = option('compose');
if (composeFile) {
  const compose = parseDocument(readFileSync(composeFile, 'utf8'), { merge: true }).toJS({ maxAliasCount: 1000 }) ?? {};
  for (const [name, svc] of Object.entries(compose.services ?? {})) {
    if (svc.image !== LOCAL_IMAGE && !svc.build) continue;
    const env = Array.isArray(svc.environment)
      ? Object.fromEntries(svc.environment.map((kv) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]))
      : { ...(svc.environment ?? {}) };
    const command = svc.command === undefined ? runtime.cmd : typeof svc.command === 'string' ? ['sh', '-c', svc.command] : svc.command;
    containers.push({ where: `docker-compose ${name}`, command, env });
    if (svc.healthcheck?.test) checkNpmScripts(`docker-compose ${name} healthcheck`, [].concat(svc.healthcheck.test).join(' '));
  }
}

const manifestsFile = option('manifests');
if (manifestsFile) {
  for (const d of parseAllDocuments(readFileSync(manifestsFile, 'utf8'))) {
    const o = d.toJS();
    const spec = o?.spec?.template?.spec ?? o?.spec?.jobTemplate?.spec?.template?.spec;
    for (const c of spec?.containers ?? []) {
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? `<from ${e.valueFrom ? Object.keys(e.valueFrom)[0] : '?'}>`]));
      // The image has no ENTRYPOINT: `args` alone replace its CMD.
      const command = c.command ? [...c.command, ...(c.args ?? [])] : (c.args ?? runtime.cmd);
      containers.push({ where: `${o.kind}/${o.metadata?.name} container ${c.name}`, command, env });
    }
  }
}

if (!composeFile && !manifestsFile) containers.push({ where: 'Dockerfile CMD', command: runtime.cmd, env: { SERVICE: runtime.env.SERVICE ?? '' } });

// ---------- files the commands name ----------
for (const c of containers) {
  checkNpmScripts(c.where, c.command.join(' '));
  const env = { ...runtime.env, ...c.env };
  const text = c.command.join(' ').replace(/\$\{?(\w+)\}?/g, (_, k) => env[k] ?? '');
  const files = new Set([...text.matchAll(/(?:^|[\s"'])((?:libs|services|tools|scripts)\/[\w./-]+\.(?:m?js|cjs))/g)].map((m) => m[1]));
  for (const file of files) {
    if (!existsSync(path.join(root, file))) fail(`${c.where}: runs ${file} (SERVICE=${env.SERVICE ?? '-'}), which does not exist after npm run build`);
    else if (!inImage(file)) fail(`${c.where}: runs ${file}, which the Dockerfile's runtime stage does not copy`);
    else if (!/\/dist\//.test(file) && excludedBy(file)) fail(`${c.where}: runs ${file}, which .dockerignore keeps out of the image (${excludedBy(file)})`);
  }
}

// ---------- run each distinct command ----------
if (run) {
  const seen = new Set();
  const bin = path.join(root, 'node_modules', '.bin');
  for (const c of containers) {
    const env = { ...runtime.env, ...c.env };
    const key = JSON.stringify([c.command, env.SERVICE]);
    if (seen.has(key)) continue;
    seen.add(key);
    const probeEnv = { PATH: `${bin}${path.delimiter}${process.env.PATH}`, HOME: process.env.HOME ?? '/tmp' };
    for (const [k, v] of Object.entries(env)) if (!String(v).startsWith('<from ')) probeEnv[k] = String(v);
    delete probeEnv.DATABASE_URL;
    probeEnv.HTTP_PORT = 'not-a-port';
    probeEnv.LOG_LEVEL = 'error';
    const r = spawnSync(c.command[0], c.command.slice(1), { cwd: root, env: probeEnv, encoding: 'utf8', timeout: 60_000 });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    const tail = out.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
    if (r.error) fail(`${c.where}: ${c.command.join(' ')} did not run: ${r.error.message}`);
    else if (/Cannot find module|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND/.test(out)) fail(`${c.where}: a module is missing: ${tail}`);
    else if (r.status === 0 || !/HTTP_PORT|DATABASE_URL/.test(out)) fail(`${c.where}: expected it to load and stop at its configuration (bad HTTP_PORT, no DATABASE_URL); exit ${r.status}: ${tail}`);
    else console.log(`entrypoints-check: ${c.where} (SERVICE=${env.SERVICE ?? '-'}): loads and reads its configuration`);
  }
}

if (problems.length > 0) {
  console.error(`entrypoints-check: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`entrypoints-check: OK (${containers.length} container command(s)${run ? ', each run against the build' : ''})`);
