#!/usr/bin/env node
// CI check of the Grafana dashboard (deploy/grafana/dashboards/orchestrator.json): every PromQL
// query in it must name only metrics the services export, so a renamed metric breaks the build
// rather than a panel. The exported names come from the compiled code (run `npm run build`
// first): the metrics service's EXPORTED_METRICS, and what @baton/telemetry's process registry
// renders (prom-client default metrics under baton_, baton_service_info).
//   node scripts/grafana-check.mjs [--dashboard <file>]
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const dashboardFile = args[0] === '--dashboard' && args[1] ? path.resolve(args[1]) : path.join(root, 'deploy/grafana/dashboards/orchestrator.json');

function fail(message) {
  process.stderr.write(`grafana-check: ${message}\n`);
  process.exit(1);
}

const compiled = (file) => {
  const full = path.join(root, file);
  if (!existsSync(full)) fail(`${file} is missing: run npm run build first`);
  return require(full);
};

/** Every PromQL expression of the dashboard's panels (rows included), with the panel's title. */
function queriesOf(dashboard) {
  const out = [];
  const walk = (panels) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push({ panel: p.title, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

/** The metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or durations. */
export function metricNamesOf(expr) {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set();
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] !== undefined || KEYWORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return [...names];
}

const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8'));
if (dashboard.uid !== 'orchestrator') fail(`${dashboardFile}: uid is ${JSON.stringify(dashboard.uid)}, not "orchestrator" (/d/orchestrator)`);

const { EXPORTED_METRICS } = compiled('services/metrics/dist/app/prometheus.metrics.js');
const { exposeMetrics, registerServiceInfo } = compiled('libs/telemetry/dist/index.js');
registerServiceInfo({ service: 'grafana-check', version: '0.0.0' });
const processNames = [...(await exposeMetrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
const exported = new Set([...EXPORTED_METRICS, ...processNames]);
const known = (name) => exported.has(name) || exported.has(name.replace(/_(bucket|sum|count)$/, ''));

const queries = queriesOf(dashboard);
if (queries.length === 0) fail(`${dashboardFile} has no queries`);
const problems = [];
let names = 0;
for (const q of queries) {
  const found = metricNamesOf(q.expr);
  if (found.length === 0) problems.push(`panel "${q.panel}": no metric in ${q.expr}`);
  for (const name of found) {
    names++;
    if (!known(name)) problems.push(`panel "${q.panel}": ${name} is not exported by any service (${q.expr})`);
  }
}
if (problems.length > 0) fail(`${problems.length} problem(s) in ${path.relative(root, dashboardFile)}:\n  ${problems.join('\n  ')}`);
process.stdout.write(`grafana-check: ok: ${queries.length} queries, ${names} metric references, all exported (${exported.size} names known)\n`);
process.exit(0);
