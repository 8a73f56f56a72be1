// Validates manifests rendered by `helm template` (read from a file or stdin). Run by
// scripts/helm-check.sh. Usage:
//   node helm-manifests.check.mjs <rendered.yaml> --kinds=Deployment,Service --absent=HorizontalPodAutoscaler [--stream-replicas=3]
// Prints every problem found and exits 1 if there is any.
import console from 'node:console';
import process from 'node:process';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const flag = (name) =>
  (args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? '')
    .split(',')
    .filter(Boolean);
const expectKinds = flag('kinds');
const expectReplicas = flag('stream-replicas');
const absentKinds = flag('absent');
const problems = [];
const fail = (msg) => problems.push(msg);

const text = readFileSync(file ?? 0, 'utf8');
const docs = parseAllDocuments(text);
const objects = [];
for (const d of docs) {
  for (const e of d.errors) fail(`YAML error: ${e.message}`);
  const obj = d.toJS();
  if (obj !== null && obj !== undefined) objects.push(obj);
}
const id = (o) => `${o.kind}/${o.metadata?.name}`;
const byKind = (k) => objects.filter((o) => o.kind === k);
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

const REQUIRED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
];
for (const o of objects) {
  if (!o.apiVersion || !o.kind || !o.metadata?.name) fail(`object without apiVersion/kind/metadata.name: ${JSON.stringify(o).slice(0, 80)}`);
  for (const l of REQUIRED_LABELS) if (!o.metadata?.labels?.[l]) fail(`${id(o)}: label ${l} missing`);
}

// Connection strings that can carry credentials (user:password@ in the URL).
const SECRET_ENV = ['DATABASE_URL', 'EVENTSTORE_URL', 'KURRENTDB_URL', 'NATS_URL'];
for (const m of byKind('ConfigMap')) {
  for (const [k, v] of Object.entries(m.data ?? {})) {
    if (SECRET_ENV.includes(k)) fail(`${id(m)}: holds ${k}, a connection string that can carry credentials; put it in a Secret`);
    else if (/:\/\/[^/@\s]+@/.test(String(v))) fail(`${id(m)}: ${k} holds credentials (user:password@ in a URL); put it in a Secret`);
  }
}

const kinds = new Set(objects.map((o) => o.kind));
for (const k of expectKinds) if (!kinds.has(k)) fail(`expected at least one ${k}`);
for (const k of absentKinds) if (kinds.has(k)) fail(`expected no ${k}, found ${byKind(k).map(id).join(', ')}`);

const hpas = byKind('HorizontalPodAutoscaler');
for (const h of hpas) {
  if (h.apiVersion !== 'autoscaling/v2') fail(`${id(h)}: apiVersion ${h.apiVersion}, expected autoscaling/v2`);
  if (!byKind('Deployment').some((d) => d.metadata.name === h.spec?.scaleTargetRef?.name)) fail(`${id(h)}: scales a Deployment that does not exist`);
  if (!(h.spec?.maxReplicas >= (h.spec?.minReplicas ?? 1))) fail(`${id(h)}: maxReplicas below minReplicas`);
}
const hpaFor = (deploymentName) => hpas.find((h) => h.spec?.scaleTargetRef?.name === deploymentName);

for (const d of byKind('Deployment')) {
  const spec = d.spec ?? {};
  const pod = spec.template?.spec ?? {};
  const hpa = hpaFor(d.metadata.name);
  if (hpa && 'replicas' in spec) fail(`${id(d)}: sets replicas although an HPA manages it`);
  if (!hpa && !(spec.replicas >= 1)) fail(`${id(d)}: no replicas and no HPA`);
  if (!d.metadata.labels?.['app.kubernetes.io/component']) fail(`${id(d)}: label app.kubernetes.io/component missing`);
  if (!matches(spec.selector?.matchLabels, spec.template?.metadata?.labels)) fail(`${id(d)}: selector does not match the pod labels`);
  if ('app.kubernetes.io/version' in (spec.selector?.matchLabels ?? {})) fail(`${id(d)}: selector contains the version label (selectors are immutable)`);
  if (!/^[a-f0-9]{64}$/.test(spec.template?.metadata?.annotations?.['checksum/config'] ?? '')) fail(`${id(d)}: checksum/config annotation missing`);
  if (pod.securityContext?.runAsNonRoot !== true) fail(`${id(d)}: pod securityContext.runAsNonRoot is not true`);
  if (!(pod.containers?.length > 0)) fail(`${id(d)}: no containers`);
  for (const c of pod.containers ?? []) {
    const where = `${id(d)} container ${c.name}`;
    if (!c.startupProbe) fail(`${where}: no startupProbe`);
    if (c.livenessProbe?.httpGet?.path !== '/health/live') fail(`${where}: livenessProbe is not GET /health/live`);
    if (c.readinessProbe?.httpGet?.path !== '/health/ready') fail(`${where}: readinessProbe is not GET /health/ready`);
    for (const part of ['requests', 'limits']) {
      if (!c.resources?.[part]?.cpu || !c.resources?.[part]?.memory) fail(`${where}: resources.${part} needs cpu and memory`);
    }
    const sc = c.securityContext ?? {};
    if (sc.runAsNonRoot !== true) fail(`${where}: securityContext.runAsNonRoot is not true`);
    if (sc.readOnlyRootFilesystem !== true) fail(`${where}: securityContext.readOnlyRootFilesystem is not true`);
    if (sc.allowPrivilegeEscalation !== false) fail(`${where}: securityContext.allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail(`${where}: capabilities do not drop ALL`);
    if (!String(c.image ?? '').match(/[:@]/)) fail(`${where}: image has no tag or digest`);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
    for (const k of ['SERVICE', 'HTTP_PORT', 'DATABASE_URL', 'NATS_URL']) if (!env[k]) fail(`${where}: env ${k} missing`);
    // Connection strings can carry credentials: they come from Secrets, never from a literal value.
    for (const k of SECRET_ENV) if (env[k] && !env[k].valueFrom?.secretKeyRef) fail(`${where}: env ${k} is not read from a Secret`);
    const fromConfigMaps = (c.envFrom ?? []).map((e) => byKind('ConfigMap').find((m) => m.metadata.name === e.configMapRef?.name)?.data ?? {});
    const setting = (k) => env[k]?.value ?? fromConfigMaps.find((data) => k in data)?.[k];
    if (setting('HTTP_HOST') !== '0.0.0.0') fail(`${where}: HTTP_HOST is not 0.0.0.0 (the service would listen on loopback only)`);
    const replicas = setting('BATON_STREAM_REPLICAS');
    if (replicas === undefined) fail(`${where}: BATON_STREAM_REPLICAS is not set (the streams would get 1 replica whatever streamReplicas says)`);
    else if (expectReplicas.length > 0 && replicas !== expectReplicas[0]) fail(`${where}: BATON_STREAM_REPLICAS is "${replicas}", expected "${expectReplicas[0]}"`);
    if (!(c.ports ?? []).some((p) => p.name === 'http')) fail(`${where}: no port named http`);
    // NATS auth (docs/security.md): the service's own .creds, mounted read-only from a Secret, only its key.
    const creds = env['NATS_CREDS']?.value;
    if (creds === undefined) fail(`${where}: env NATS_CREDS missing (NATS refuses anonymous clients)`);
    else {
      const mount = (c.volumeMounts ?? []).find((m) => creds.startsWith(`${m.mountPath}/`));
      const volume = (d.spec.template.spec.volumes ?? []).find((v) => v.name === mount?.name);
      const service = env['SERVICE']?.value;
      if (!mount || mount.readOnly !== true) fail(`${where}: NATS_CREDS ${creds} is not on a read-only mount`);
      else if (!volume?.secret) fail(`${where}: NATS_CREDS is not mounted from a Secret`);
      else if (!(volume.secret.items ?? []).some((i) => i.key === `service-${service}.creds`)) fail(`${where}: mounts other credentials than service-${service}.creds`);
    }
  }
}

// PDBs exist exactly for Deployments running more than one replica.
const pdbs = byKind('PodDisruptionBudget');
for (const d of byKind('Deployment')) {
  const min = hpaFor(d.metadata.name)?.spec?.minReplicas ?? d.spec?.replicas ?? 1;
  const pdb = pdbs.find((p) => matches(p.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels));
  if (min > 1 && !pdb) fail(`${id(d)}: runs ${min} replicas but has no PodDisruptionBudget`);
  if (min <= 1 && pdb) fail(`${id(d)}: runs 1 replica but has ${id(pdb)} (it would block node drains)`);
}
for (const p of pdbs) if (p.apiVersion !== 'policy/v1') fail(`${id(p)}: apiVersion ${p.apiVersion}, expected policy/v1`);

for (const s of byKind('Service')) {
  if (!byKind('Deployment').some((d) => matches(s.spec?.selector, d.spec?.template?.metadata?.labels))) fail(`${id(s)}: selects no Deployment`);
}
for (const m of byKind('ServiceMonitor')) {
  if (!(m.spec?.endpoints ?? []).some((e) => e.path === '/metrics')) fail(`${id(m)}: does not scrape /metrics`);
}

// NetworkPolicy: a default deny, the listed egress, and ingress only to the public service(s).
const policies = byKind('NetworkPolicy');
if (policies.length > 0) {
  const deny = policies.find(
    (p) => (p.spec?.policyTypes ?? []).includes('Ingress') && p.spec.policyTypes.includes('Egress') && !p.spec.ingress && !p.spec.egress,
  );
  if (!deny) fail('NetworkPolicy: no default-deny policy (Ingress and Egress with no rules)');
  const egressPorts = new Set(policies.flatMap((p) => (p.spec?.egress ?? []).flatMap((r) => (r.ports ?? []).map((x) => x.port))));
  for (const port of [53, 4222, 5432, 2113, 4317, 4318]) if (!egressPorts.has(port)) fail(`NetworkPolicy: egress to port ${port} not allowed`);
  const withOpenIngress = policies.filter((p) => (p.spec?.ingress ?? []).some((r) => !r.from));
  for (const p of withOpenIngress) {
    if (p.spec?.podSelector?.matchLabels?.['app.kubernetes.io/component'] !== 'gateway') fail(`${id(p)}: allows ingress from anywhere to a non-gateway service`);
  }
}

if (problems.length > 0) {
  console.error(`helm-manifests-check: ${problems.length} problem(s) in ${file ?? 'stdin'}:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
const counts = [...kinds].sort().map((k) => `${byKind(k).length} ${k}`).join(', ');
console.log(`helm-manifests-check: OK (${objects.length} objects: ${counts})`);
