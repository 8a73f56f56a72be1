/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by
 * package/module, and inclusive time of the project's own functions, optionally restricted to
 * a time window (profile clock = CLOCK_MONOTONIC in µs, the same clock as
 * `process.hrtime.bigint() / 1000n` in any process of the machine).
 *
 *   node -r @swc-node/register bench/cpuprofile-summary.ts <file.cpuprofile> [--from-us N] [--to-us N] [--top 25] [--json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}
export interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export interface Row {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time in the window, in %. */
  readonly pct: number;
}

export interface CpuProfileSummary {
  readonly windowMs: number;
  readonly samples: number;
  readonly busyMs: number;
  /** Busy time / window: how much of one core the process used. */
  readonly busyPct: number;
  readonly gcMs: number;
  readonly topSelfFunctions: Row[];
  readonly selfByPackage: Row[];
  readonly inclusiveProjectFunctions: Row[];
  readonly inclusiveByPackage: Row[];
  /** Self time of native and node:internal frames, charged to the nearest package above them (who caused the syscall/GC-free native work). */
  readonly nativeByCallerPackage: Row[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** `@scope/pkg` or `pkg` for node_modules, `node:internal` for Node's own, `baton:<libs|services>/<x>` for ours. */
export function packageOf(frame: CallFrame): string {
  if (SPECIAL.has(frame.functionName) && !frame.url) return frame.functionName;
  const url = frame.url;
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(libs|services|tools|bench)\/([^/]+)\//.exec(url);
  if (m) return `baton:${m[1]}/${m[2]}`;
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const m = /\/((?:libs|services|tools|bench)\/.*)$/.exec(url);
  if (m) return m[1]!;
  return url.replace(/^file:\/\//, '');
}

function functionKey(frame: CallFrame): string {
  if (!frame.url) return frame.functionName || '(anonymous native)';
  return `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function isProject(frame: CallFrame): boolean {
  return /\/(libs|services)\//.test(frame.url) && !frame.url.includes('/node_modules/');
}

/** Aggregates a profile; `fromUs`/`toUs` restrict it to samples in that window (profile clock). */
export function summarizeCpuProfile(profile: CpuProfile, options: { fromUs?: number; toUs?: number; top?: number } = {}): CpuProfileSummary {
  const top = options.top ?? 25;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const from = options.fromUs ?? profile.startTime;
  const to = options.toUs ?? profile.endTime;
  const self = new Map<string, number>();
  const selfPkg = new Map<string, number>();
  const incl = new Map<string, number>();
  const inclPkg = new Map<string, number>();
  const nativeBy = new Map<string, number>();
  const isLow = (pkg: string) => pkg === '(native)' || pkg === 'node:internal';
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let t = profile.startTime;
  let samples = 0;
  let busyUs = 0;
  let gcUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dur = profile.timeDeltas[i + 1] ?? 0;
    if (t < from || t > to || dur <= 0) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    samples++;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') continue;
    busyUs += dur;
    if (fn === '(garbage collector)') gcUs += dur;
    add(self, functionKey(node.callFrame), dur);
    add(selfPkg, packageOf(node.callFrame), dur);
    if (isLow(packageOf(node.callFrame))) {
      let caller = '(none)';
      for (let id = parent.get(node.id), depth = 0; id !== undefined && depth < 2000; id = parent.get(id), depth++) {
        const pkg = packageOf(byId.get(id)!.callFrame);
        if (!isLow(pkg) && pkg !== '(root)') {
          caller = pkg;
          break;
        }
      }
      add(nativeBy, caller, dur);
    }
    const seenFns = new Set<string>();
    const seenPkgs = new Set<string>();
    for (let id: number | undefined = node.id, depth = 0; id !== undefined && depth < 2000; id = parent.get(id), depth++) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') break;
      const pkg = packageOf(f);
      if (!seenPkgs.has(pkg)) {
        seenPkgs.add(pkg);
        add(inclPkg, pkg, dur);
      }
      if (isProject(f)) {
        const k = functionKey(f);
        if (!seenFns.has(k)) {
          seenFns.add(k);
          add(incl, k, dur);
        }
      }
    }
  }
  const rows = (m: Map<string, number>, n: number): Row[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, pct: busyUs > 0 ? Math.round((1000 * us) / busyUs) / 10 : 0 }));
  const windowUs = Math.max(1, Math.min(to, profile.endTime) - Math.max(from, profile.startTime));
  return {
    windowMs: Math.round(windowUs / 1000),
    samples,
    busyMs: Math.round(busyUs / 1000),
    busyPct: Math.round((1000 * busyUs) / windowUs) / 10,
    gcMs: Math.round(gcUs / 1000),
    topSelfFunctions: rows(self, top),
    selfByPackage: rows(selfPkg, top),
    inclusiveProjectFunctions: rows(incl, top),
    inclusiveByPackage: rows(inclPkg, top),
    nativeByCallerPackage: rows(nativeBy, top),
  };
}

export function formatSummary(s: CpuProfileSummary): string {
  const table = (title: string, rs: Row[]) =>
    [`${title}`, ...rs.map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(1).padStart(9)} ms  ${r.name}`)].join('\n');
  return [
    `window ${s.windowMs} ms, ${s.samples} samples, busy ${s.busyMs} ms (${s.busyPct}% of one core), GC ${s.gcMs} ms`,
    table('self time by function (% of busy):', s.topSelfFunctions),
    table('self time by package:', s.selfByPackage),
    table('inclusive time by package (% of busy; a stack counts once per package):', s.inclusiveByPackage),
    table('native + node:internal self time, by the nearest package that called it:', s.nativeByCallerPackage),
    table('inclusive time of project functions (libs/, services/):', s.inclusiveProjectFunctions),
  ].join('\n');
}

if (require.main === module) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'from-us': { type: 'string' }, 'to-us': { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: cpuprofile-summary.ts <file.cpuprofile> [--from-us N] [--to-us N] [--top N] [--json]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const summary = summarizeCpuProfile(profile, {
    ...(values['from-us'] ? { fromUs: Number(values['from-us']) } : {}),
    ...(values['to-us'] ? { toUs: Number(values['to-us']) } : {}),
    ...(values.top ? { top: Number(values.top) } : {}),
  });
  process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
}
