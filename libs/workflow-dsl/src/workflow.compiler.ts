import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { compileCondition, CONDITION_ROOTS, type CompiledCondition } from './condition.evaluator';
import { didYouMean } from './did-you-mean.util';
import { parseDuration } from './duration.parser';
import { RETRY_DEFAULTS } from './retry.policy';
import { validateCron } from './trigger.schedule';
import { ancestorsOf, findCycle, reachableFrom, type GraphNode } from './workflow.graph';
import type {
  AgentRef,
  BranchDefinition,
  FailureStep,
  NextRule,
  ParamSpec,
  RetryPolicy,
  StageDefinition,
  SyncPoint,
  WorkflowDefinition,
  WorkflowTrigger,
} from './workflow.model';
import type { RawAgent, RawBranch, RawFailureStep, RawRetry, RawStage, RawWorkflowBody } from './workflow.schema';

/** A path into the YAML document. */
export type Path = readonly (string | number)[];

/** Reports one error at a path (the key or the value there; `offset` shifts inside a scalar). */
export type Reporter = (path: Path, message: string, target?: 'key' | 'value', offset?: number) => void;

interface CompileContext {
  readonly file: string;
  readonly report: Reporter;
  readonly stageSource: (path: Path) => { line: number };
}

type Body = z.infer<typeof RawWorkflowBody>;
type Stage = z.infer<typeof RawStage> & Record<string, unknown>;
type Branch = z.infer<typeof RawBranch>;
type Retry = z.infer<typeof RawRetry>;
type Agent = z.infer<typeof RawAgent>;
type Failure = z.infer<typeof RawFailureStep>;

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set<string>([...CONDITION_ROOTS, 'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);
const PARAM_SPEC_KEYS = new Set(['type', 'default', 'required', 'description']);
const PARAM_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;

/** A stage after flattening `then` groups, before normalization. */
interface Flat {
  readonly raw: Stage;
  readonly path: Path;
  readonly id: string | null;
  readonly idPath: Path;
  readonly idDerived: boolean;
  /** Conditions inherited from enclosing `then` groups, then the stage's own. */
  readonly conditions: readonly { source: string; path: Path }[];
  readonly implicitDependsOn: string | null;
  readonly explicitDependsOn: boolean;
}

/**
 * Turns a structurally valid raw body into a {@link WorkflowDefinition}, reporting every semantic
 * error (references, cycles, reachability, durations, cron, CEL). Returns null when it reported any.
 */
export function compileWorkflow(body: Body, base: Path, ctx: CompileContext): WorkflowDefinition | null {
  const { report } = ctx;
  let failed = false;
  const fail: Reporter = (path, message, target, offset) => {
    failed = true;
    report(path, message, target, offset);
  };
  const p = (...rest: (string | number)[]): Path => [...base, ...rest];

  // --- shape -----------------------------------------------------------------------------------
  if (body.stages !== undefined && body.steps !== undefined) fail(p('steps'), 'use either "stages" or "steps", not both', 'key');
  const listKey = body.stages !== undefined ? 'stages' : 'steps';
  const list = (body.stages ?? body.steps) as Stage[] | undefined;
  if (list === undefined) {
    fail(base, 'missing required key "stages" (or "steps")');
    return null;
  }
  if (list.length === 0) {
    fail(p(listKey), `"${listKey}" needs at least one stage`);
    return null;
  }
  const stepsShape = listKey === 'steps';

  // --- flatten `then` groups, assign ids ---------------------------------------------------------
  const flats: Flat[] = [];
  const flatten = (items: readonly Stage[], listPath: Path, inherited: readonly { source: string; path: Path }[], groupDeps: { explicit: boolean; value: string | null } | null): void => {
    items.forEach((raw, i) => {
      const path = [...listPath, i];
      const prev = flats.length > 0 ? (flats[flats.length - 1]?.id ?? null) : null;
      const implicit = i === 0 && groupDeps !== null ? groupDeps.value : stepsShape || groupDeps !== null ? prev : null;
      if (raw['then'] !== undefined) {
        for (const k of ['agent', 'action', 'parallel', 'parallel_agents', 'next']) {
          if (raw[k] !== undefined) fail([...path, k], `${label(raw)}a step with "then" is a condition group and takes no "${k}"`, 'key');
        }
        if (raw['condition'] === undefined) fail([...path, 'then'], `${label(raw)}"then" needs a "condition"`, 'key');
        const conds = raw['condition'] === undefined ? inherited : [...inherited, { source: raw['condition'] as string, path: [...path, 'condition'] }];
        const explicitDeps = raw['depends_on'] as string[] | undefined;
        if (explicitDeps !== undefined && explicitDeps.length > 1) fail([...path, 'depends_on'], `${label(raw)}a condition group may depend on at most one stage`);
        flatten(raw['then'] as Stage[], [...path, 'then'], conds, { explicit: explicitDeps !== undefined, value: explicitDeps === undefined ? implicit : (explicitDeps[0] ?? null) });
        return;
      }
      const idInfo = stageId(raw, path, stepsShape || groupDeps !== null);
      flats.push({
        raw,
        path,
        id: idInfo.id,
        idPath: idInfo.path,
        idDerived: idInfo.derived,
        conditions: raw['condition'] === undefined ? inherited : [...inherited, { source: raw['condition'] as string, path: [...path, 'condition'] }],
        implicitDependsOn: implicit,
        explicitDependsOn: raw['depends_on'] !== undefined,
      });
    });
  };
  const stageId = (raw: Stage, path: Path, mayDerive: boolean): { id: string | null; path: Path; derived: boolean } => {
    if (raw['stage'] !== undefined && raw['id'] !== undefined) {
      fail([...path, 'id'], `${label(raw)}give the stage id once, as "stage" or "id", not both`, 'key');
    }
    const explicit = (raw['stage'] ?? raw['id']) as string | undefined;
    const key = raw['stage'] !== undefined ? 'stage' : 'id';
    if (explicit !== undefined) return { id: explicit, path: [...path, key], derived: false };
    if (mayDerive && typeof raw['action'] === 'string') return { id: raw['action'], path: [...path, 'action'], derived: true };
    fail(path, mayDerive ? 'step needs an "id" (or an "action" to name it after)' : 'stage needs a "stage" key naming it');
    return { id: null, path, derived: false };
  };
  flatten(list, p(listKey), [], null);

  const firstAt = new Map<string, Flat>();
  for (const f of flats) {
    if (f.id === null) continue;
    if (!ID.test(f.id)) {
      fail(f.idPath, `stage id "${f.id}" must start with a letter or underscore and use only letters, digits and underscores (conditions refer to stages by id)`);
      continue;
    }
    if (RESERVED.has(f.id)) fail(f.idPath, `stage id "${f.id}" is reserved`);
    const first = firstAt.get(f.id);
    if (first !== undefined) {
      const hint = f.idDerived ? '; steps without "id" are named after their action, so give one of them an "id"' : '';
      fail(f.idPath, `duplicate stage id "${f.id}" (first defined at line ${ctx.stageSource(first.idPath).line})${hint}`);
    } else firstAt.set(f.id, f);
  }
  const stageIds = [...firstAt.keys()];
  const stageIdSet = new Set(stageIds);

  // --- branches ---------------------------------------------------------------------------------
  const branchIds = new Map<string, Path>();
  const branchesOf = new Map<string, { list: Branch[]; key: 'parallel_agents' | 'parallel' }>();
  for (const f of flats) {
    if (f.id === null) continue;
    const pa = f.raw['parallel_agents'] as Branch[] | undefined;
    const pl = Array.isArray(f.raw['parallel']) ? (f.raw['parallel'] as Branch[]) : undefined;
    if (pa !== undefined && pl !== undefined) fail([...f.path, 'parallel'], `stage "${f.id}": use either "parallel_agents" or a "parallel" list, not both`, 'key');
    const key = pa !== undefined ? 'parallel_agents' : 'parallel';
    const branches = pa ?? pl;
    if (branches === undefined) continue;
    if (branches.length === 0) {
      fail([...f.path, key], `stage "${f.id}": ${key} needs at least one agent`);
      continue;
    }
    branchesOf.set(f.id, { list: branches, key });
    branches.forEach((b, i) => {
      const bid = b.id ?? b.action;
      const bPath = [...f.path, key, i, b.id !== undefined ? 'id' : 'action'];
      if (!ID.test(bid)) fail(bPath, `stage "${f.id}": branch id "${bid}" must use only letters, digits and underscores (give the branch an "id")`);
      else if (stageIdSet.has(bid) && bid !== f.id) fail(bPath, `stage "${f.id}": branch "${bid}" has the same id as a stage; give the branch an "id"`);
      else if (branchIds.has(bid) || bid === f.id) fail(bPath, `stage "${f.id}": duplicate branch id "${bid}"; give the branch an "id"`);
      else branchIds.set(bid, bPath);
    });
  }

  const ref = (target: string, path: Path, what: string, owner: string): void => {
    if (!stageIdSet.has(target)) fail(path, `stage "${owner}": ${what} refers to unknown stage "${target}"${didYouMean(target, stageIds)}`);
  };

  // --- per-stage normalization --------------------------------------------------------------------
  const errorRetry = body.error_handling?.retry === undefined ? null : retryPolicy(body.error_handling.retry, p('error_handling', 'retry'), '', fail);
  const stages: Record<string, StageDefinition> = {};
  const nodes: GraphNode[] = [];
  const pending: { f: Flat; id: string; build: (condition: CompiledCondition | null, skipIf: CompiledCondition | null) => StageDefinition }[] = [];
  for (const f of flats) {
    const id = f.id;
    if (id === null || firstAt.get(id) !== f) continue;
    const raw = f.raw;
    const at = (...rest: (string | number)[]): Path => [...f.path, ...rest];
    const who = `stage "${id}": `;
    const branchInfo = branchesOf.get(id);
    const branchList = branchInfo?.list ?? [];

    const action = (raw['action'] as string | undefined) ?? null;
    const agent = raw['agent'] === undefined ? null : agentRef(raw['agent'] as Agent, at('agent'), who, fail);
    if (action === null && branchInfo === undefined) fail(f.path, `${who}missing required key "action"`);
    if (action === null && agent !== null && branchInfo !== undefined) fail(at('agent'), `${who}has an "agent" but no "action"`, 'key');

    // next
    let next: NextRule = { kind: 'none' };
    const rawNext = raw['next'] as string | Record<string, string> | undefined;
    if (typeof rawNext === 'string') {
      next = { kind: 'sequential', target: rawNext };
      ref(rawNext, at('next'), 'next', id);
    } else if (rawNext !== undefined) {
      if (Object.keys(rawNext).length === 0) fail(at('next'), `${who}"next" by outcome needs at least one outcome`);
      for (const [outcome, target] of Object.entries(rawNext)) ref(target, at('next', outcome), `next for outcome "${outcome}"`, id);
      next = { kind: 'by_outcome', targets: { ...rawNext } };
    }

    // depends_on
    const explicitDeps = raw['depends_on'] as string[] | undefined;
    const dependsOn = explicitDeps ?? (f.implicitDependsOn === null ? [] : [f.implicitDependsOn]);
    explicitDeps?.forEach((d, i) => {
      if (d === id) fail(at('depends_on', i), `${who}depends on itself`);
      else ref(d, at('depends_on', i), 'depends_on', id);
    });
    if (explicitDeps !== undefined && new Set(explicitDeps).size !== explicitDeps.length) fail(at('depends_on'), `${who}depends_on lists a stage twice`);

    // sync point
    const fanIn = branchList.length > 0 ? branchList.length + (action === null ? 0 : 1) : dependsOn.length;
    const syncPoint = syncPointOf(raw['sync_point'] as string | { min: number } | undefined, at('sync_point'), who, fanIn, branchList.length > 0, fail);

    // loop
    let loop: StageDefinition['loop'] = null;
    const rawLoop = raw['loop'] as { back_to: string; max_iterations?: number; on_exhausted?: string } | undefined;
    if (rawLoop !== undefined) {
      ref(rawLoop.back_to, at('loop', 'back_to'), 'loop.back_to', id);
      if (rawLoop.on_exhausted !== undefined) ref(rawLoop.on_exhausted, at('loop', 'on_exhausted'), 'loop.on_exhausted', id);
      if (rawLoop.max_iterations === undefined) {
        fail(at('loop'), `${who}loop back to "${rawLoop.back_to}" needs "max_iterations" (unbounded loops are not allowed)`, 'key');
      } else if (rawLoop.max_iterations < 1) {
        fail(at('loop', 'max_iterations'), `${who}loop.max_iterations must be at least 1 (got ${rawLoop.max_iterations})`);
      } else {
        loop = { backTo: rawLoop.back_to, maxIterations: rawLoop.max_iterations, onExhausted: rawLoop.on_exhausted ?? null };
      }
      const targets = typeof rawNext === 'string' ? [rawNext] : Object.values(rawNext ?? {});
      if (stageIdSet.has(rawLoop.back_to) && !targets.includes(rawLoop.back_to)) {
        fail(at('loop', 'back_to'), `${who}loop.back_to "${rawLoop.back_to}" must also be a "next" target of this stage`);
      }
    }

    // durations, retry, failure steps
    const slaMs = duration(raw['sla'] as string | undefined, at('sla'), `${who}sla`, fail);
    const timeoutMs = duration(raw['timeout'] as string | undefined, at('timeout'), `${who}timeout`, fail);
    const retry = raw['retry'] === undefined ? null : retryPolicy(raw['retry'] as Retry, at('retry'), who, fail);
    const onFailure = failureSteps((raw['on_failure'] as Failure[] | undefined) ?? [], at('on_failure'), who, fail);
    const branches: BranchDefinition[] = branchList.map((b, i) => ({
      id: b.id ?? b.action,
      agent: agentRef(b.agent, [...f.path, branchInfo?.key ?? 'parallel', i, 'agent'], who, fail),
      action: b.action,
      inputs: b.inputs ?? [],
      outputs: b.outputs ?? [],
      tickets: b.tickets ?? null,
      params: b.params ?? {},
      timeoutMs: duration(b.timeout, [...f.path, branchInfo?.key ?? 'parallel', i, 'timeout'], `${who}timeout`, fail),
    }));
    const rawApproval = raw['requires_approval'] as boolean | string[] | undefined;

    const forward = typeof rawNext === 'string' ? [rawNext] : Object.values(rawNext ?? {});
    // on_exhausted is a forward edge too: it makes its target reachable and takes part in cycle checks.
    if (rawLoop?.on_exhausted !== undefined && !forward.includes(rawLoop.on_exhausted)) forward.push(rawLoop.on_exhausted);
    nodes.push({ id, next: forward, dependsOn, loopBackTo: loop?.backTo ?? rawLoop?.back_to ?? null });
    pending.push({
      f,
      id,
      build: (condition, skipIf) => ({
        id,
        name: (raw['name'] as string | undefined) ?? null,
        description: (raw['description'] as string | undefined) ?? null,
        action,
        agent: agent ?? (action === null ? null : { kind: 'orchestrator', value: 'orchestrator' }),
        inputs: (raw['inputs'] as string[] | undefined) ?? [],
        outputs: (raw['outputs'] as string[] | undefined) ?? null,
        params: (raw['params'] as Record<string, unknown> | undefined) ?? {},
        dependsOn,
        next,
        branches,
        syncPoint,
        concurrent: raw['parallel'] === true,
        condition,
        skipIf,
        loop,
        retry,
        onFailure,
        slaMs,
        timeoutMs,
        qualityGate: (raw['quality_gate'] as string[] | undefined) ?? [],
        approvers: (raw['approvers'] as string[] | undefined) ?? [],
        requiresApproval: rawApproval === true ? ['Human'] : rawApproval === false || rawApproval === undefined ? [] : rawApproval,
        blocking: (raw['blocking'] as boolean | undefined) ?? false,
        criteria: (raw['criteria'] as string[] | undefined) ?? [],
        cleanup: (raw['cleanup'] as string[] | undefined) ?? [],
        metadata: (raw['metadata'] as Record<string, unknown> | undefined) ?? {},
      }),
    });
  }

  // --- entry, cycles, reachability -------------------------------------------------------------------
  let entryStages: string[];
  if (body.start !== undefined) {
    const starts = typeof body.start === 'string' ? [body.start] : body.start;
    starts.forEach((s, i) => {
      if (!stageIdSet.has(s)) fail(typeof body.start === 'string' ? p('start') : p('start', i), `start refers to unknown stage "${s}"${didYouMean(s, stageIds)}`);
    });
    entryStages = starts.filter((s) => stageIdSet.has(s));
  } else {
    const first = flats.find((f) => f.id !== null)?.id;
    entryStages = pending.filter((x) => x.id === first || (x.f.explicitDependsOn && (x.f.raw['depends_on'] as string[]).length === 0)).map((x) => x.id);
  }
  if (!failed) {
    const cycle = findCycle(nodes);
    if (cycle !== null) {
      const closer = pending.find((x) => x.id === cycle[cycle.length - 2]);
      const target = cycle[cycle.length - 1] as string;
      const isNext = nodes.find((n) => n.id === closer?.id)?.next.includes(target) ?? false;
      const where = closer === undefined ? base : [...closer.f.path, isNext ? 'next' : 'depends_on'];
      fail(where, `cycle: ${cycle.join(' → ')} (declare a bounded loop with "loop: { back_to: ${target}, max_iterations: N }" if the repeat is intended)`);
    }
  }
  if (!failed) {
    const reach = reachableFrom(nodes, entryStages);
    for (const x of pending) {
      if (!reach.has(x.id)) {
        fail(x.f.idPath, `stage "${x.id}" is unreachable from ${entryStages.length === 1 ? `the entry stage "${entryStages[0]}"` : `the entry stages ${entryStages.map((e) => `"${e}"`).join(', ')}`} (nothing leads to it by "next" or "depends_on")`);
      }
    }
    for (const x of pending) {
      const loop = nodes.find((n) => n.id === x.id)?.loopBackTo;
      if (loop && !ancestorsOf(nodes, x.id).has(loop) && loop !== x.id) {
        fail([...x.f.path, 'loop', 'back_to'], `stage "${x.id}": loop.back_to "${loop}" is not upstream of this stage, so it is not a loop`);
      }
    }
  }

  // --- conditions (need the graph for scope) ------------------------------------------------------
  const built: Record<string, StageDefinition> = {};
  for (const x of pending) {
    let condition: CompiledCondition | null = null;
    let skipIf: CompiledCondition | null = null;
    if (!failed) {
      const scope = conditionScope(x.id, nodes, pending, branchIds);
      const compile = (source: string, path: Path, what: string): CompiledCondition | null => {
        const r = compileCondition(source, scope);
        if (!r.ok) {
          fail(path, `stage "${x.id}": ${what}: ${r.message}`, 'value', r.offset);
          return null;
        }
        const notUpstream = r.condition.identifiers.filter((n) => (stageIdSet.has(n) || branchIds.has(n)) && !scope.upstream.has(n));
        if (notUpstream.length > 0) {
          fail(path, `stage "${x.id}": ${what} reads "${notUpstream[0]}", which does not run before this stage`);
          return null;
        }
        return r.condition;
      };
      const parts = x.f.conditions.map((c) => compile(c.source, c.path, 'condition'));
      if (parts.length > 0 && parts.every((c) => c !== null)) {
        condition = parts.length === 1 ? parts[0] ?? null : compile(parts.map((c) => `(${c?.source ?? ''})`).join(' && '), x.f.conditions[0]?.path ?? x.f.path, 'condition');
      }
      const rawSkip = x.f.raw['skip_if'] as string | undefined;
      if (rawSkip !== undefined) skipIf = compile(rawSkip, [...x.f.path, 'skip_if'], 'skip_if');
    }
    built[x.id] = x.build(condition, skipIf);
  }
  Object.assign(stages, built);

  // --- workflow-level -------------------------------------------------------------------------------
  const trigger = triggerOf(body, base, fail);
  const params = paramsOf(body.params ?? {}, p('params'), fail);
  const onFailure = failureSteps(body.error_handling?.on_failure ?? [], p('error_handling', 'on_failure'), '', fail);
  const slaMs = duration(body.sla, p('sla'), 'sla', fail);
  if (failed) return null;

  const id = body.id ?? slug(body.name);
  const versionDeclared = body.version !== undefined;
  const core = {
    id,
    name: body.name,
    declaredVersion: versionDeclared ? String(body.version) : null,
    description: body.description ?? null,
    trigger,
    stages,
    stageOrder: pending.map((x) => x.id),
    entryStages,
    params,
    errorHandling: { retry: errorRetry, onFailure },
    slaMs,
    metadata: body.metadata ?? {},
  };
  const hash = createHash('sha256').update(canonicalJson(core)).digest('hex');
  const { declaredVersion, ...rest } = core;
  return { ...rest, version: declaredVersion ?? `0.0.0+${hash.slice(0, 12)}`, versionDeclared, hash, source: ctx.file };
}

function label(raw: Stage): string {
  const name = [raw['stage'], raw['id'], raw['action']].find((v) => typeof v === 'string');
  return typeof name === 'string' ? `stage "${name}": ` : '';
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'workflow';
}

function agentRef(raw: Agent, path: Path, who: string, fail: Reporter): AgentRef {
  if (typeof raw === 'string') {
    if (raw === 'auto_select_by_component') return { kind: 'auto_select_by_component', value: raw };
    const m = /^(role|capability):\s*(.+)$/.exec(raw);
    if (m) return { kind: m[1] as 'role' | 'capability', value: (m[2] ?? '').trim() };
    return { kind: 'id', value: raw };
  }
  const given = (['id', 'role', 'capability'] as const).filter((k) => raw[k] !== undefined);
  if (given.length !== 1) {
    fail(path, `${who}agent must give exactly one of "id", "role" or "capability" (got ${given.length === 0 ? 'none' : given.join(' and ')})`);
    return { kind: 'id', value: '' };
  }
  const kind = given[0] as 'id' | 'role' | 'capability';
  return { kind, value: raw[kind] as string };
}

function duration(text: string | undefined, path: Path, what: string, fail: Reporter): number | null {
  if (text === undefined) return null;
  const r = parseDuration(text);
  if (!r.ok) {
    fail(path, `${what}: ${r.reason}`);
    return null;
  }
  return r.ms;
}

function retryPolicy(raw: Retry, path: Path, who: string, fail: Reporter): RetryPolicy | null {
  let ok = true;
  if (raw.max_attempts < 1) {
    fail([...path, 'max_attempts'], `${who}retry.max_attempts must be at least 1 (got ${raw.max_attempts})`);
    ok = false;
  }
  const initial = raw.initial_delay === undefined ? RETRY_DEFAULTS.initialDelayMs : duration(raw.initial_delay, [...path, 'initial_delay'], `${who}retry.initial_delay`, fail);
  const max = raw.max_delay === undefined ? Math.max(RETRY_DEFAULTS.maxDelayMs, initial ?? 0) : duration(raw.max_delay, [...path, 'max_delay'], `${who}retry.max_delay`, fail);
  if (initial === null || max === null) return null;
  if (max < initial) {
    fail([...path, 'max_delay'], `${who}retry.max_delay must not be shorter than retry.initial_delay`);
    ok = false;
  }
  if (!ok) return null;
  return { maxAttempts: raw.max_attempts, backoff: raw.backoff ?? RETRY_DEFAULTS.backoff, initialDelayMs: initial, maxDelayMs: max, jitter: raw.jitter ?? RETRY_DEFAULTS.jitter };
}

function failureSteps(list: readonly Failure[], path: Path, who: string, fail: Reporter): FailureStep[] {
  const out: FailureStep[] = [];
  list.forEach((s, i) => {
    const at = [...path, i];
    if (s.notify !== undefined) {
      if (s.action !== undefined || s.agent !== undefined) fail(at, `${who}on_failure[${i}] must be either "notify" or an agent and action, not both`);
      out.push(typeof s.notify === 'string' ? { kind: 'notify', channel: s.notify, target: null, message: null } : { kind: 'notify', channel: s.notify.channel, target: s.notify.target ?? null, message: s.notify.message ?? null });
    } else if (s.action !== undefined) {
      out.push({ kind: 'task', action: s.action, agent: s.agent === undefined ? { kind: 'orchestrator', value: 'orchestrator' } : agentRef(s.agent, [...at, 'agent'], who, fail) });
    } else {
      fail(at, `${who}on_failure[${i}] needs "notify" or "action"`);
    }
  });
  return out;
}

function syncPointOf(raw: string | { min: number } | undefined, path: Path, who: string, fanIn: number, hasBranches: boolean, fail: Reporter): SyncPoint {
  if (raw === undefined) return { kind: 'all_complete' };
  if (fanIn < 2) {
    fail(path, `${who}sync_point needs parallel branches or several depends_on to join`, 'key');
    return { kind: 'all_complete' };
  }
  const what = hasBranches ? 'parallel tasks' : 'dependencies';
  if (raw === 'all_complete' || raw === 'any_complete') return { kind: raw };
  let n: number;
  let m: number | null = null;
  if (typeof raw === 'string') {
    const [a, b] = raw.split('_of_').map(Number);
    n = a ?? 0;
    m = b ?? 0;
    if (m !== fanIn) fail(path, `${who}sync_point "${raw}" expects ${m} ${what} but the stage has ${fanIn}`);
  } else n = raw.min;
  if (n < 1 || n > fanIn) fail(path, `${who}sync_point needs between 1 and ${fanIn} completions (got ${n})`);
  return { kind: 'n_of_m', n, m };
}

function triggerOf(body: Body, base: Path, fail: Reporter): WorkflowTrigger {
  const t = body.trigger;
  if (body.schedule !== undefined) {
    if (t !== undefined) fail([...base, 'schedule'], 'give either "schedule" or "trigger", not both', 'key');
    const check = validateCron(body.schedule);
    if (!check.ok) fail([...base, 'schedule'], `schedule: invalid cron expression "${body.schedule}": ${check.reason}`);
    return { kind: 'schedule', cron: body.schedule, timezone: null };
  }
  if (t === undefined) return { kind: 'manual', authorized: [] };
  const at = (k: string): Path => [...base, 'trigger', k];
  const misplaced = (keys: readonly string[]): void => {
    for (const k of keys) if ((t as Record<string, unknown>)[k] !== undefined) fail(at(k), `trigger: "${k}" does not apply to type "${t.type}"`, 'key');
  };
  switch (t.type) {
    case 'manual':
      misplaced(['source', 'item_types', 'cron', 'timezone']);
      return { kind: 'manual', authorized: t.authorized ?? [] };
    case 'automatic':
    case 'work_item':
      misplaced(['authorized', 'cron', 'timezone']);
      if (t.source === undefined && t.item_types === undefined) fail([...base, 'trigger'], `trigger: type "${t.type}" needs "source" or "item_types"`);
      return { kind: 'work_item', source: t.source ?? null, itemTypes: t.item_types ?? [] };
    case 'schedule': {
      misplaced(['authorized', 'source', 'item_types']);
      if (t.cron === undefined) {
        fail([...base, 'trigger'], 'trigger: type "schedule" needs "cron"');
        return { kind: 'schedule', cron: '', timezone: null };
      }
      const check = validateCron(t.cron, t.timezone ?? null);
      if (!check.ok) fail(at('cron'), `trigger.cron: invalid cron expression "${t.cron}": ${check.reason}`);
      return { kind: 'schedule', cron: t.cron, timezone: t.timezone ?? null };
    }
    default: {
      const unreachable: never = t.type;
      return unreachable;
    }
  }
}

function paramsOf(raw: Record<string, unknown>, path: Path, fail: Reporter): Record<string, ParamSpec> {
  const out: Record<string, ParamSpec> = {};
  for (const [name, value] of Object.entries(raw)) {
    const isSpec =
      typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => PARAM_SPEC_KEYS.has(k));
    if (!isSpec) {
      out[name] = { type: null, default: value, required: false, description: null };
      continue;
    }
    const spec = value as { type?: unknown; default?: unknown; required?: unknown; description?: unknown };
    let type: ParamSpec['type'] = null;
    if (spec.type !== undefined) {
      if (typeof spec.type === 'string' && (PARAM_TYPES as readonly string[]).includes(spec.type)) type = spec.type as ParamSpec['type'];
      else fail([...path, name, 'type'], `params.${name}.type must be one of ${PARAM_TYPES.join(', ')}${didYouMean(String(spec.type), PARAM_TYPES)}`);
    }
    if (spec.required !== undefined && typeof spec.required !== 'boolean') fail([...path, name, 'required'], `params.${name}.required must be true or false`);
    if (type !== null && spec.default !== undefined && !matchesType(type, spec.default)) fail([...path, name, 'default'], `params.${name}.default does not match type ${type}`);
    out[name] = { type, default: spec.default, required: spec.required === true, description: typeof spec.description === 'string' ? spec.description : null };
  }
  return out;
}

/** Whether a value fits a declared parameter type. */
export function matchesType(type: NonNullable<ParamSpec['type']>, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

interface Scope {
  readonly known: readonly string[];
  readonly outputNames: readonly string[];
  readonly openOutputs: boolean;
  readonly upstream: ReadonlySet<string>;
}

function conditionScope(id: string, nodes: readonly GraphNode[], pending: readonly { id: string; f: Flat }[], branchIds: ReadonlyMap<string, Path>): Scope {
  const ancestors = ancestorsOf(nodes, id);
  const upstream = new Set<string>(ancestors);
  const outputNames: string[] = [];
  let openOutputs = false;
  for (const x of pending) {
    if (!ancestors.has(x.id)) continue;
    const outputs = x.f.raw['outputs'] as string[] | undefined;
    if (outputs === undefined) openOutputs = true;
    else outputNames.push(...outputs.filter((o) => ID.test(o)));
    const branches = (x.f.raw['parallel_agents'] ?? (Array.isArray(x.f.raw['parallel']) ? x.f.raw['parallel'] : [])) as Branch[];
    for (const b of branches) {
      upstream.add(b.id ?? b.action);
      if (b.outputs === undefined) openOutputs = true;
      else outputNames.push(...b.outputs.filter((o) => ID.test(o)));
    }
  }
  return { known: [...CONDITION_ROOTS, ...pending.map((x) => x.id), ...branchIds.keys()], outputNames, openOutputs, upstream };
}

/** JSON with sorted keys; compiled conditions serialize as their source. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj['source'] === 'string' && 'program' in obj) return JSON.stringify(obj['source']);
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
