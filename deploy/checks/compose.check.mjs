// Offline validation of docker-compose.yml (no container engine needed). Run by
// scripts/compose-check.sh; prints every problem found and exits 1 if there is any.
import console from 'node:console';
import process from 'node:process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = process.argv[2] ?? path.join(root, 'docker-compose.yml');
const problems = [];
const fail = (msg) => problems.push(msg);

const INFRA = ['nats', 'kurrentdb', 'postgres', 'jaeger', 'prometheus', 'grafana'];
const APPS = ['scheduler', 'agent-registry', 'handoff-validator', 'escalation', 'metrics', 'notifier', 'gateway'];
const APP_DEPS = { nats: 'service_healthy', postgres: 'service_healthy', kurrentdb: 'service_healthy', migrate: 'service_completed_successfully' };
const APP_ENV = ['NATS_URL', 'DATABASE_URL', 'EVENTSTORE_URL', 'BATON_EVENT_STORE', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'SERVICE', 'HTTP_PORT', 'HTTP_HOST', 'BATON_STREAM_REPLICAS'];
const LOCAL_IMAGE = 'baton:local';

const doc = parseDocument(readFileSync(file, 'utf8'), { merge: true, prettyErrors: true });
for (const e of doc.errors) fail(`YAML error: ${e.message}`);
for (const w of doc.warnings) fail(`YAML warning: ${w.message}`);
const compose = doc.toJS({ maxAliasCount: 1000 }) ?? {};
const services = compose.services ?? {};

const list = (v) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const envOf = (svc) => {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((kv) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]));
  return env;
};
const depsOf = (svc) =>
  Array.isArray(svc.depends_on)
    ? Object.fromEntries(svc.depends_on.map((d) => [d, { condition: 'service_started' }]))
    : (svc.depends_on ?? {});
const oneShots = new Set(
  Object.values(services).flatMap((s) =>
    Object.entries(depsOf(s))
      .filter(([, d]) => d?.condition === 'service_completed_successfully')
      .map(([n]) => n),
  ),
);

for (const name of [...INFRA, 'migrate', ...APPS]) if (!services[name]) fail(`service "${name}" is missing`);

for (const [name, svc] of Object.entries(services)) {
  // Images: pinned to a version (or a digest); locally built app images are exempt.
  const image = svc.image;
  if (!image && !svc.build) fail(`${name}: neither image nor build`);
  if (image && !(svc.build && image === LOCAL_IMAGE)) {
    const digest = image.includes('@sha256:');
    const tag = image.slice(image.lastIndexOf('/') + 1).split(':')[1];
    if (!digest && (!tag || tag === 'latest' || !/\d/.test(tag))) fail(`${name}: image "${image}" is not pinned to a version`);
  }
  // Health: a healthcheck, or a one-shot that others wait on with service_completed_successfully.
  const hc = svc.healthcheck;
  const hasHealthcheck = hc && !hc.disable && list(hc.test).length > 0;
  if (!hasHealthcheck && !(oneShots.has(name) && svc.restart === 'no')) {
    fail(`${name}: no healthcheck (and not a one-shot with restart "no" gated by service_completed_successfully)`);
  }
  // Dependencies exist, and service_healthy points at something with a healthcheck.
  for (const [dep, d] of Object.entries(depsOf(svc))) {
    if (!services[dep]) fail(`${name}: depends on unknown service "${dep}"`);
    else if (d?.condition === 'service_healthy' && !services[dep].healthcheck) fail(`${name}: waits for "${dep}" to be healthy, but it has no healthcheck`);
    if (!d?.condition || d.condition === 'service_started') fail(`${name}: depends on "${dep}" without a health condition`);
  }
  // Published ports: only the gateway among apps; infrastructure UIs on loopback only.
  for (const p of list(svc.ports)) {
    const spec = typeof p === 'object' ? `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}` : String(p);
    const loopback = spec.startsWith('127.0.0.1:') || (typeof p === 'object' && p.host_ip === '127.0.0.1');
    if (APPS.includes(name) || name === 'migrate') {
      if (name !== 'gateway') fail(`${name}: publishes port ${spec}; only the gateway may`);
    } else if (!loopback) fail(`${name}: publishes port ${spec} on all interfaces; bind infrastructure UIs to 127.0.0.1`);
  }
  // Bind-mounted files exist.
  for (const v of list(svc.volumes)) {
    const src = typeof v === 'string' ? v.split(':')[0] : v.source;
    if (src?.startsWith('.') && !existsSync(path.resolve(path.dirname(file), src))) fail(`${name}: mounts ${src}, which does not exist`);
  }
}

for (const name of APPS) {
  const svc = services[name];
  if (!svc) continue;
  const deps = depsOf(svc);
  for (const [dep, condition] of Object.entries(APP_DEPS)) {
    if (deps[dep]?.condition !== condition) fail(`${name}: must depend on ${dep} with condition ${condition}`);
  }
  const env = envOf(svc);
  for (const k of APP_ENV) if (env[k] === undefined || String(env[k]).trim() === '') fail(`${name}: environment ${k} is not set`);
  if (env.SERVICE !== undefined && env.SERVICE !== name) fail(`${name}: SERVICE is "${env.SERVICE}"`);
  if (env.BATON_EVENT_STORE !== undefined && env.BATON_EVENT_STORE !== 'kurrentdb') fail(`${name}: BATON_EVENT_STORE should be kurrentdb`);
  if (env.HTTP_HOST !== undefined && env.HTTP_HOST !== '0.0.0.0') fail(`${name}: HTTP_HOST is "${env.HTTP_HOST}"; other containers reach it only on 0.0.0.0`);
  if (!JSON.stringify(svc.healthcheck?.test ?? '').includes('/health/ready')) fail(`${name}: healthcheck does not probe /health/ready`);
  if (!existsSync(path.join(root, 'services', name, 'src', 'main.ts'))) fail(`${name}: services/${name}/src/main.ts does not exist`);
}

// Durability settings (ARCHITECTURE.md, "Production durability settings are part of the product").
const pgCommand = list(services.postgres?.command).join(' ');
for (const setting of ['fsync=on', 'synchronous_commit=on']) if (!pgCommand.includes(setting)) fail(`postgres: command lacks ${setting}`);
const natsConf = list(services.nats?.volumes)
  .map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source))
  .filter((src) => src?.startsWith('.') && src.endsWith('.conf'));
if (natsConf.length === 0) fail('nats: no config file mounted');
for (const c of natsConf) {
  const p = path.resolve(path.dirname(file), c);
  if (existsSync(p) && !/^\s*sync_interval:\s*always\s*$/m.test(readFileSync(p, 'utf8'))) fail(`nats: ${c} lacks "sync_interval: always"`);
}
if (!JSON.stringify(services.nats?.healthcheck?.test ?? '').includes('healthz?js-enabled-only=true')) fail('nats: healthcheck does not use /healthz?js-enabled-only=true');

// NATS auth (docs/security.md): the server includes the generated auth.conf (a secret), each app connects with its own .creds.
const secretsDefined = compose.secrets ?? {};
const secretRefs = (svc) => list(svc?.secrets).map((x) => (typeof x === 'string' ? { source: x, target: `/run/secrets/${x}` } : { source: x.source, target: x.target?.startsWith('/') ? x.target : `/run/secrets/${x.target ?? x.source}` }));
const authSecret = secretRefs(services.nats).find((x) => x.target === '/etc/nats/auth.conf');
if (!authSecret) fail('nats: no secret mounted at /etc/nats/auth.conf (the auth config the server includes)');
else if (!secretsDefined[authSecret.source]?.file) fail(`nats: secret ${authSecret.source} is not defined with a file`);
for (const c of natsConf) {
  const p = path.resolve(path.dirname(file), c);
  if (existsSync(p) && !/^\s*include\s+"?auth\.conf"?\s*$/m.test(readFileSync(p, 'utf8'))) fail(`nats: ${c} does not include auth.conf (anonymous clients would be let in)`);
}
for (const name of APPS) {
  const svc = services[name];
  if (!svc) continue;
  const creds = svc.environment?.NATS_CREDS;
  const mine = secretRefs(svc).find((x) => x.target === creds);
  if (creds === undefined) fail(`${name}: NATS_CREDS is not set (NATS refuses anonymous clients)`);
  else if (!mine) fail(`${name}: NATS_CREDS ${creds} is not one of its secrets`);
  else if (!String(secretsDefined[mine.source]?.file ?? '').endsWith(`service-${name}.creds`)) fail(`${name}: its NATS credentials secret is not service-${name}.creds`);
}

// Prometheus scrapes every app on its HTTP_PORT.
const promFile = path.join(root, 'deploy', 'prometheus', 'prometheus.yml');
if (existsSync(promFile)) {
  const targets = JSON.stringify(parseDocument(readFileSync(promFile, 'utf8')).toJS());
  for (const name of APPS) {
    const port = services[name] && envOf(services[name]).HTTP_PORT;
    if (!targets.includes(`${name}:${port}`)) fail(`prometheus: does not scrape ${name}:${port}`);
  }
} else fail('deploy/prometheus/prometheus.yml is missing');

if (problems.length > 0) {
  console.error(`compose-check: ${path.relative(root, file)} has ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`compose-check: ${path.relative(root, file)} OK (${Object.keys(services).length} services)`);
