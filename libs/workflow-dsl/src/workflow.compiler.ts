import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { compileCondition, CONDITION_ROOTS, type CompiledCondition, type ConditionScope } from './condition.evaluator';
import { closestMatch, didYouMean } from './did-you-mean.util';
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
  TokenBudget,
  WorkflowDefinition,
  WorkflowTrigger,
} from './workflow.model';
import type { Path, SetAside } from './workflow.salvage';
import { STAGE_KEYS, type RawAgent, type RawBudget, type RawBranch, type RawFailureStep, type RawRetry, type RawStage, type RawWorkflowBody } from './workflow.schema';

export type { Path } from './workflow.salvage';

/** Reports one error at a path (the key or the value there; `offset` shifts inside a scalar). */
export type Reporter = (path: Path, message: string, target?: 'key' | 'value', offset?: number) => void;

interface CompileContext {
  readonly file: string;
  readonly report: Reporter;
  readonly stageSource: (path: Path) => { line: number };
  /** Values the schema pass reported and set aside; the compiler checks everything else. */
  readonly setAside: SetAside;
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
const STAGE_LIST_KEYS = new Set(['stages', 'steps', 'then']);
/** Stage keys that carry edges of the stage graph. */
const EDGE_KEYS = new Set(['next', 'depends_on', 'loop', 'then']);

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

/** State the compile steps share. */
interface Pass {
  readonly base: Path;
  readonly ctx: CompileContext;
  readonly setAside: SetAside;
  /** Reports an error unless it sits in a value the schema pass set aside (it was reported there). */
  readonly fail: Reporter;
  failed: boolean;
  /** Some stage id could not be read: an "unknown" stage may be that one, so references to unknown stages are not reported. */
  stageIdsLost: boolean;
  /** Some branch id could not be read: conditions may name it. */
  branchIdsLost: boolean;
  /** Edges are missing or point nowhere: whole-graph checks (reachability, upstream) would only report consequences. */
  graphUnsound: boolean;
  /** What a stage budget without `on_exceed` does: the workflow budget's policy, else escalate. */
  readonly runBudgetPolicy: TokenBudget['onExceed'];
}

/** The stage list as written: `stages:` (seed 000) or `steps:` (seed 003). */
interface StageList {
  readonly path: Path;
  readonly items: readonly Stage[];
  readonly stepsShape: boolean;
}

/** Stage ids in file order (first definitions only), and as a set. */
interface StageIds {
  readonly list: readonly string[];
  readonly set: ReadonlySet<string>;
}

interface Branches {
  /** Branch id → where it is named. */
  readonly ids: ReadonlyMap<string, Path>;
  readonly byStage: ReadonlyMap<string, { readonly list: readonly Branch[]; readonly key: 'parallel_agents' | 'parallel' }>;
}

/** A normalized stage whose conditions are compiled once the graph is known. */
interface PendingStage {
  readonly f: Flat;
  readonly id: string;
  readonly node: GraphNode;
  readonly build: (condition: CompiledCondition | null, skipIf: CompiledCondition | null) => StageDefinition;
}

/**
 * Turns a raw body into a {@link WorkflowDefinition}, reporting every semantic error (references,
 * cycles, reachability, durations, cron, CEL) in one pass. The body may have had values set aside
 * by the schema pass (`ctx.setAside`); the checks that depend on them stay quiet. Returns null when
 * it reported any error.
 */
export function compileWorkflow(body: Body, base: Path, ctx: CompileContext): WorkflowDefinition | null {
  const pass = openPass(base, ctx, body.budget?.on_exceed ?? 'escalate');
  const list = stageListOf(body, pass);
  const flats = flattenStages(list, pass);
  const firstAt = indexStageIds(flats, pass);
  const ids: StageIds = { list: [...firstAt.keys()], set: new Set(firstAt.keys()) };
  const branches = collectBranches(flats, ids, pass);
  const pending = flats.filter((f) => f.id !== null && firstAt.get(f.id) === f).map((f) => normalizeStage(f, ids, branches, pass));
  const nodes = pending.map((x) => x.node);
  const entryStages = entryStagesOf(body, flats, pending, ids, pass);
  checkGraph(nodes, pending, entryStages, pass);
  const stages = buildStages(pending, nodes, ids, branches, pass);
  const errorHandling = {
    retry: body.error_handling?.retry === undefined ? null : retryPolicy(body.error_handling.retry, [...base, 'error_handling', 'retry'], '', pass.fail),
    onFailure: failureSteps(body.error_handling?.on_failure ?? [], [...base, 'error_handling', 'on_failure'], '', pass.fail),
  };
  const trigger = triggerOf(body, base, pass.fail, ctx.setAside);
  const params = paramsOf(body.params ?? {}, [...base, 'params'], pass.fail);
  const slaMs = duration(body.sla, [...base, 'sla'], 'sla', pass.fail);
  const budget = budgetOf(body.budget, pass.runBudgetPolicy);
  if (pass.failed || !ctx.setAside.empty) return null;
  return assembleDefinition(body, { trigger, stages, stageOrder: pending.map((x) => x.id), entryStages, params, errorHandling, slaMs, ...(budget ? { budget } : {}) }, ctx.file);
}

function openPass(base: Path, ctx: CompileContext, runBudgetPolicy: TokenBudget['onExceed']): Pass {
  const pass: Pass = {
    base,
    ctx,
    runBudgetPolicy,
    setAside: ctx.setAside,
    fail: (path, message, target, offset) => {
      pass.failed = true;
      if (!ctx.setAside.gone(path)) ctx.report(path, message, target, offset);
    },
    failed: false,
    stageIdsLost: false,
    branchIdsLost: false,
    graphUnsound: false,
  };
  return pass;
}

// --- step 1: the stage list ------------------------------------------------------------------------

function stageListOf(body: Body, pass: Pass): StageList {
  const { base, setAside } = pass;
  if (body.stages !== undefined && body.steps !== undefined) pass.fail([...base, 'steps'], 'use either "stages" or "steps", not both', 'key');
  const listKey = body.stages !== undefined ? 'stages' : 'steps';
  const path = [...base, listKey];
  const items = (body.stages ?? body.steps) as Stage[] | undefined;
  if (items === undefined) {
    // `stages: 3` or `stpes:` was reported by the schema pass already.
    if (setAside.maybeMeant(base, 'stages') || setAside.maybeMeant(base, 'steps')) pass.failed = true;
    else pass.fail(base, 'missing required key "stages" (or "steps")');
  } else if (items.length === 0) pass.fail(path, `"${listKey}" needs at least one stage`);
  if (setAside.maybeMeant(base, 'start') || setAside.list().some((p) => edgeLost(p, path))) pass.graphUnsound = true;
  return { path, items: items ?? [], stepsShape: listKey === 'steps' };
}

/** Whether the set-aside path `p` held (or may have held, misspelled) an edge of a stage in the list at `listPath`. */
function edgeLost(p: Path, listPath: Path): boolean {
  if (p.length < listPath.length || !listPath.every((seg, i) => String(seg) === String(p[i]))) return false;
  // The key inside the innermost stage on the path (`then` groups nest stages).
  let keyAt = listPath.length + 1;
  for (let i = listPath.length - 1; i + 1 < p.length; i++) {
    if (STAGE_LIST_KEYS.has(String(p[i])) && typeof p[i + 1] === 'number') keyAt = i + 2;
  }
  const key = p[keyAt];
  if (key === undefined || typeof key === 'number') return true;
  if (EDGE_KEYS.has(key) || STAGE_LIST_KEYS.has(key)) return true;
  if ((STAGE_KEYS as readonly string[]).includes(key)) return false;
  const meant = closestMatch(key, STAGE_KEYS);
  return meant === undefined || EDGE_KEYS.has(meant);
}

// --- step 2: flatten `then` groups, name the stages --------------------------------------------------

function flattenStages(list: StageList, pass: Pass): Flat[] {
  const { fail, setAside } = pass;
  const flats: Flat[] = [];
  const lost = (): void => {
    pass.stageIdsLost = true;
    pass.graphUnsound = true;
  };
  const flatten = (items: readonly Stage[], listPath: Path, inherited: readonly { source: string; path: Path }[], groupDeps: { explicit: boolean; value: string | null } | null): void => {
    items.forEach((raw, i) => {
      const path = [...listPath, i];
      if (setAside.gone(path)) return lost();
      const prev = flats.length > 0 ? (flats[flats.length - 1]?.id ?? null) : null;
      const implicit = i === 0 && groupDeps !== null ? groupDeps.value : list.stepsShape || groupDeps !== null ? prev : null;
      const conditions = raw['condition'] === undefined ? inherited : [...inherited, { source: raw['condition'] as string, path: [...path, 'condition'] }];
      if (raw['then'] !== undefined || setAside.gone([...path, 'then'])) {
        for (const k of ['agent', 'action', 'parallel', 'parallel_agents', 'next']) {
          if (raw[k] !== undefined) fail([...path, k], `${label(raw)}a step with "then" is a condition group and takes no "${k}"`, 'key');
        }
        if (raw['condition'] === undefined && !setAside.maybeMeant(path, 'condition')) fail([...path, 'then'], `${label(raw)}"then" needs a "condition"`, 'key');
        const explicitDeps = raw['depends_on'] as string[] | undefined;
        if (explicitDeps !== undefined && explicitDeps.length > 1) {
          fail([...path, 'depends_on'], `${label(raw)}a condition group may depend on at most one stage`);
          pass.graphUnsound = true;
        }
        if (raw['then'] === undefined) lost();
        flatten((raw['then'] as Stage[] | undefined) ?? [], [...path, 'then'], conditions, { explicit: explicitDeps !== undefined, value: explicitDeps === undefined ? implicit : (explicitDeps[0] ?? null) });
        return;
      }
      const idInfo = stageId(raw, path, list.stepsShape || groupDeps !== null, pass);
      if (idInfo === null) return lost();
      flats.push({
        raw,
        path,
        id: idInfo.id,
        idPath: idInfo.path,
        idDerived: idInfo.derived,
        conditions,
        implicitDependsOn: implicit,
        explicitDependsOn: raw['depends_on'] !== undefined,
      });
    });
  };
  flatten(list.items, list.path, [], null);
  return flats;
}

/** The stage's id, or null when it was set aside by the schema pass. */
function stageId(raw: Stage, path: Path, mayDerive: boolean, pass: Pass): { id: string | null; path: Path; derived: boolean } | null {
  const { fail, setAside } = pass;
  if (raw['stage'] !== undefined && raw['id'] !== undefined) {
    fail([...path, 'id'], `${label(raw)}give the stage id once, as "stage" or "id", not both`, 'key');
  }
  const explicit = (raw['stage'] ?? raw['id']) as string | undefined;
  const key = raw['stage'] !== undefined ? 'stage' : 'id';
  if (explicit !== undefined) return { id: explicit, path: [...path, key], derived: false };
  if (setAside.maybeMeant(path, 'stage') || setAside.maybeMeant(path, 'id')) return null;
  if (mayDerive && typeof raw['action'] === 'string') return { id: raw['action'], path: [...path, 'action'], derived: true };
  if (mayDerive && setAside.maybeMeant(path, 'action')) return null;
  fail(path, mayDerive ? 'step needs an "id" (or an "action" to name it after)' : 'stage needs a "stage" key naming it');
  return { id: null, path, derived: false };
}

/** First definition of each valid id; reports malformed, reserved and duplicate ids. */
function indexStageIds(flats: readonly Flat[], pass: Pass): Map<string, Flat> {
  const { fail } = pass;
  const firstAt = new Map<string, Flat>();
  for (const f of flats) {
    if (f.id === null) continue;
    if (!ID.test(f.id)) {
      fail(f.idPath, `stage id "${f.id}" must start with a letter or underscore and use only letters, digits and underscores (conditions refer to stages by id)`);
      pass.graphUnsound = true;
      continue;
    }
    if (RESERVED.has(f.id)) fail(f.idPath, `stage id "${f.id}" is reserved`);
    const first = firstAt.get(f.id);
    if (first !== undefined) {
      const hint = f.idDerived ? '; steps without "id" are named after their action, so give one of them an "id"' : '';
      fail(f.idPath, `duplicate stage id "${f.id}" (first defined at line ${pass.ctx.stageSource(first.idPath).line})${hint}`);
      pass.graphUnsound = true;
    } else firstAt.set(f.id, f);
  }
  return firstAt;
}

// --- step 3: parallel branches -------------------------------------------------------------------------

function collectBranches(flats: readonly Flat[], stageIds: StageIds, pass: Pass): Branches {
  const { fail, setAside } = pass;
  const ids = new Map<string, Path>();
  const byStage = new Map<string, { list: Branch[]; key: 'parallel_agents' | 'parallel' }>();
  for (const f of flats) {
    if (f.id === null) continue;
    const pa = f.raw['parallel_agents'] as Branch[] | undefined;
    const pl = Array.isArray(f.raw['parallel']) ? (f.raw['parallel'] as Branch[]) : undefined;
    if (pa !== undefined && pl !== undefined) fail([...f.path, 'parallel'], `stage "${f.id}": use either "parallel_agents" or a "parallel" list, not both`, 'key');
    const key = pa !== undefined ? 'parallel_agents' : 'parallel';
    const list = pa ?? pl;
    if (setAside.maybeMeant(f.path, 'parallel_agents') || setAside.maybeMeant(f.path, 'parallel')) pass.branchIdsLost = true;
    if (list === undefined) continue;
    if (list.length === 0) {
      fail([...f.path, key], `stage "${f.id}": ${key} needs at least one agent`);
      continue;
    }
    byStage.set(f.id, { list, key });
    list.forEach((b, i) => {
      const itemPath = [...f.path, key, i];
      if (b.id === undefined && (setAside.maybeMeant(itemPath, 'id') || setAside.maybeMeant(itemPath, 'action'))) {
        pass.branchIdsLost = true;
        return;
      }
      const bid = b.id ?? b.action;
      const bPath = [...itemPath, b.id !== undefined ? 'id' : 'action'];
      if (!ID.test(bid)) fail(bPath, `stage "${f.id}": branch id "${bid}" must use only letters, digits and underscores (give the branch an "id")`);
      else if (stageIds.set.has(bid) && bid !== f.id) fail(bPath, `stage "${f.id}": branch "${bid}" has the same id as a stage; give the branch an "id"`);
      else if (ids.has(bid) || bid === f.id) fail(bPath, `stage "${f.id}": duplicate branch id "${bid}"; give the branch an "id"`);
      else ids.set(bid, bPath);
    });
  }
  return { ids, byStage };
}

// --- step 4: one stage -------------------------------------------------------------------------------

/** Reports a reference to a stage that does not exist (unless the schema pass set the reference or some stage id aside). */
function refer(target: string, path: Path, what: string, owner: string, ids: StageIds, pass: Pass): void {
  if (ids.set.has(target) || pass.setAside.gone(path)) return;
  pass.graphUnsound = true;
  if (pass.stageIdsLost) pass.failed = true;
  else pass.fail(path, `stage "${owner}": ${what} refers to unknown stage "${target}"${didYouMean(target, ids.list)}`);
}

function normalizeStage(f: Flat, ids: StageIds, branches: Branches, pass: Pass): PendingStage {
  const { fail, setAside } = pass;
  const id = f.id as string;
  const raw = f.raw;
  const at = (...rest: (string | number)[]): Path => [...f.path, ...rest];
  const who = `stage "${id}": `;
  const branchInfo = branches.byStage.get(id);
  const branchList = branchInfo?.list ?? [];

  const action = (raw['action'] as string | undefined) ?? null;
  const agent = raw['agent'] === undefined ? null : agentRef(raw['agent'] as Agent, at('agent'), who, fail);
  const actionMayBeLost = ['action', 'parallel_agents', 'parallel'].some((k) => setAside.maybeMeant(f.path, k));
  if (action === null && branchInfo === undefined && !actionMayBeLost) fail(f.path, `${who}missing required key "action"`);
  if (action === null && agent !== null && branchInfo !== undefined && !actionMayBeLost) fail(at('agent'), `${who}has an "agent" but no "action"`, 'key');

  const rawNext = raw['next'] as string | Record<string, string> | undefined;
  const next = nextRuleOf(rawNext, f, ids, pass);
  const dependsOn = dependsOnOf(f, ids, pass);
  const fanIn = branchList.length > 0 ? branchList.length + (action === null ? 0 : 1) : dependsOn.length;
  const syncPoint = syncPointOf(raw['sync_point'] as string | { min: number } | undefined, at('sync_point'), who, fanIn, branchList.length > 0, fail);
  const rawLoop = raw['loop'] as { back_to: string; max_iterations?: number; on_exhausted?: string } | undefined;
  const loop = loopOf(rawLoop, rawNext, f, ids, pass);

  const slaMs = duration(raw['sla'] as string | undefined, at('sla'), `${who}sla`, fail);
  const timeoutMs = duration(raw['timeout'] as string | undefined, at('timeout'), `${who}timeout`, fail);
  const budget = budgetOf(raw['budget'] as RawBudgetValue | undefined, pass.runBudgetPolicy);
  const retry = raw['retry'] === undefined ? null : retryPolicy(raw['retry'] as Retry, at('retry'), who, fail);
  const onFailure = failureSteps((raw['on_failure'] as Failure[] | undefined) ?? [], at('on_failure'), who, fail);
  const branchDefs: BranchDefinition[] = branchList.map((b, i) => ({
    id: b.id ?? b.action,
    agent: agentRef(b.agent, at(branchInfo?.key ?? 'parallel', i, 'agent'), who, fail),
    action: b.action,
    inputs: b.inputs ?? [],
    outputs: b.outputs ?? [],
    tickets: b.tickets ?? null,
    params: b.params ?? {},
    timeoutMs: duration(b.timeout, at(branchInfo?.key ?? 'parallel', i, 'timeout'), `${who}timeout`, fail),
  }));
  const rawApproval = raw['requires_approval'] as boolean | string[] | undefined;

  const forward = typeof rawNext === 'string' ? [rawNext] : Object.values(rawNext ?? {});
  // on_exhausted is a forward edge too: it makes its target reachable and takes part in cycle checks.
  if (rawLoop?.on_exhausted !== undefined && !forward.includes(rawLoop.on_exhausted)) forward.push(rawLoop.on_exhausted);
  // A loop the schema pass set aside leaves its back edge unknown: leave this stage's next edges out
  // of the cycle check rather than call the intended loop a cycle.
  const loopLost = setAside.maybeMeant(f.path, 'loop') || setAside.gone(at('loop', 'back_to'));
  const node: GraphNode = { id, next: loopLost ? [] : forward, dependsOn, loopBackTo: loop?.backTo ?? rawLoop?.back_to ?? null };
  return {
    f,
    id,
    node,
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
      branches: branchDefs,
      syncPoint,
      concurrent: raw['parallel'] === true,
      condition,
      skipIf,
      loop,
      retry,
      onFailure,
      slaMs,
      timeoutMs,
      ...(budget ? { budget } : {}),
      qualityGate: (raw['quality_gate'] as string[] | undefined) ?? [],
      approvers: (raw['approvers'] as string[] | undefined) ?? [],
      requiresApproval: rawApproval === true ? ['Human'] : rawApproval === false || rawApproval === undefined ? [] : rawApproval,
      blocking: (raw['blocking'] as boolean | undefined) ?? false,
      criteria: (raw['criteria'] as string[] | undefined) ?? [],
      cleanup: (raw['cleanup'] as string[] | undefined) ?? [],
      metadata: (raw['metadata'] as Record<string, unknown> | undefined) ?? {},
    }),
  };
}

function nextRuleOf(rawNext: string | Record<string, string> | undefined, f: Flat, ids: StageIds, pass: Pass): NextRule {
  const id = f.id as string;
  if (typeof rawNext === 'string') {
    refer(rawNext, [...f.path, 'next'], 'next', id, ids, pass);
    return { kind: 'sequential', target: rawNext };
  }
  if (rawNext === undefined) return { kind: 'none' };
  if (Object.keys(rawNext).length === 0 && !pass.setAside.touched([...f.path, 'next'])) pass.fail([...f.path, 'next'], `stage "${id}": "next" by outcome needs at least one outcome`);
  for (const [outcome, target] of Object.entries(rawNext)) refer(target, [...f.path, 'next', outcome], `next for outcome "${outcome}"`, id, ids, pass);
  return { kind: 'by_outcome', targets: { ...rawNext } };
}

function dependsOnOf(f: Flat, ids: StageIds, pass: Pass): readonly string[] {
  const id = f.id as string;
  const explicit = f.raw['depends_on'] as string[] | undefined;
  if (explicit === undefined) return f.implicitDependsOn === null ? [] : [f.implicitDependsOn];
  const readable = explicit.filter((_, i) => !pass.setAside.gone([...f.path, 'depends_on', i]));
  explicit.forEach((d, i) => {
    if (d === id) pass.fail([...f.path, 'depends_on', i], `stage "${id}": depends on itself`);
    else refer(d, [...f.path, 'depends_on', i], 'depends_on', id, ids, pass);
  });
  if (new Set(readable).size !== readable.length) pass.fail([...f.path, 'depends_on'], `stage "${id}": depends_on lists a stage twice`);
  return explicit;
}

function loopOf(rawLoop: { back_to: string; max_iterations?: number; on_exhausted?: string } | undefined, rawNext: string | Record<string, string> | undefined, f: Flat, ids: StageIds, pass: Pass): StageDefinition['loop'] {
  if (rawLoop === undefined) return null;
  const id = f.id as string;
  const who = `stage "${id}": `;
  const at = (...rest: string[]): Path => [...f.path, 'loop', ...rest];
  const backTo = pass.setAside.gone(at('back_to')) ? null : rawLoop.back_to;
  if (backTo !== null) refer(backTo, at('back_to'), 'loop.back_to', id, ids, pass);
  if (rawLoop.on_exhausted !== undefined) refer(rawLoop.on_exhausted, at('on_exhausted'), 'loop.on_exhausted', id, ids, pass);
  let loop: StageDefinition['loop'] = null;
  if (rawLoop.max_iterations === undefined) {
    if (!pass.setAside.gone(at('max_iterations'))) {
      pass.fail([...f.path, 'loop'], `${who}loop${backTo === null ? '' : ` back to "${backTo}"`} needs "max_iterations" (unbounded loops are not allowed)`, 'key');
    }
  } else if (rawLoop.max_iterations < 1) {
    pass.fail(at('max_iterations'), `${who}loop.max_iterations must be at least 1 (got ${rawLoop.max_iterations})`);
  } else if (backTo !== null) {
    loop = { backTo, maxIterations: rawLoop.max_iterations, onExhausted: rawLoop.on_exhausted ?? null };
  }
  const targets = typeof rawNext === 'string' ? [rawNext] : Object.values(rawNext ?? {});
  if (backTo !== null && ids.set.has(backTo) && !targets.includes(backTo) && !pass.setAside.maybeMeant(f.path, 'next')) {
    pass.fail(at('back_to'), `${who}loop.back_to "${backTo}" must also be a "next" target of this stage`);
  }
  return loop;
}

// --- step 5: entry stages and whole-graph checks -----------------------------------------------------------

function entryStagesOf(body: Body, flats: readonly Flat[], pending: readonly PendingStage[], ids: StageIds, pass: Pass): string[] {
  if (body.start !== undefined) {
    const starts = typeof body.start === 'string' ? [body.start] : body.start;
    starts.forEach((s, i) => {
      const path = typeof body.start === 'string' ? [...pass.base, 'start'] : [...pass.base, 'start', i];
      if (ids.set.has(s) || pass.setAside.gone(path)) return;
      pass.graphUnsound = true;
      pass.fail(path, `start refers to unknown stage "${s}"${didYouMean(s, ids.list)}`);
    });
    return starts.filter((s) => ids.set.has(s));
  }
  const first = flats.find((f) => f.id !== null)?.id;
  return pending.filter((x) => x.id === first || (x.f.explicitDependsOn && (x.f.raw['depends_on'] as string[]).length === 0)).map((x) => x.id);
}

/**
 * Cycles are checked on whatever edges are known (a cycle among them is real). Reachability and
 * loop placement are checked only on a sound graph: with an edge missing, an "unreachable" stage
 * would only be a consequence of an error already reported.
 */
function checkGraph(nodes: readonly GraphNode[], pending: readonly PendingStage[], entryStages: readonly string[], pass: Pass): void {
  const cycle = findCycle(nodes);
  if (cycle !== null) {
    const closer = pending.find((x) => x.id === cycle[cycle.length - 2]);
    const target = cycle[cycle.length - 1] as string;
    const isNext = closer?.node.next.includes(target) ?? false;
    const where = closer === undefined ? pass.base : [...closer.f.path, isNext ? 'next' : 'depends_on'];
    pass.fail(where, `cycle: ${cycle.join(' → ')} (declare a bounded loop with "loop: { back_to: ${target}, max_iterations: N }" if the repeat is intended)`);
    pass.graphUnsound = true;
  }
  if (pass.graphUnsound) return;
  const reach = reachableFrom(nodes, entryStages);
  for (const x of pending) {
    if (!reach.has(x.id)) {
      pass.fail(x.f.idPath, `stage "${x.id}" is unreachable from ${entryStages.length === 1 ? `the entry stage "${entryStages[0]}"` : `the entry stages ${entryStages.map((e) => `"${e}"`).join(', ')}`} (nothing leads to it by "next" or "depends_on")`);
    }
  }
  for (const x of pending) {
    const loop = x.node.loopBackTo;
    if (loop && !ancestorsOf(nodes, x.id).has(loop) && loop !== x.id) {
      pass.fail([...x.f.path, 'loop', 'back_to'], `stage "${x.id}": loop.back_to "${loop}" is not upstream of this stage, so it is not a loop`);
    }
  }
}

// --- step 6: conditions (they need the graph for their scope) ----------------------------------------------

function buildStages(pending: readonly PendingStage[], nodes: readonly GraphNode[], ids: StageIds, branches: Branches, pass: Pass): Record<string, StageDefinition> {
  const stages: Record<string, StageDefinition> = {};
  // A `then` group's condition is compiled for each stage in the group: report its error once.
  const reported = new Set<string>();
  for (const x of pending) {
    const scope = conditionScope(x.id, nodes, pending, branches, pass);
    const compile = (source: string, path: Path, what: string): CompiledCondition | null => {
      const r = compileCondition(source, scope);
      const key = path.join('\u0000');
      if (!r.ok) {
        if (!reported.has(key)) pass.fail(path, `stage "${x.id}": ${what}: ${r.message}`, 'value', r.offset);
        reported.add(key);
        return null;
      }
      if (pass.graphUnsound) return r.condition;
      const notUpstream = r.condition.identifiers.filter((n) => (ids.set.has(n) || branches.ids.has(n)) && !scope.upstream.has(n));
      if (notUpstream.length > 0) {
        if (!reported.has(key)) pass.fail(path, `stage "${x.id}": ${what} reads "${notUpstream[0]}", which does not run before this stage`);
        reported.add(key);
        return null;
      }
      return r.condition;
    };
    const parts = x.f.conditions.map((c) => compile(c.source, c.path, 'condition'));
    let condition: CompiledCondition | null = null;
    if (parts.length > 0 && parts.every((c) => c !== null)) {
      condition = parts.length === 1 ? parts[0] ?? null : compile(parts.map((c) => `(${c?.source ?? ''})`).join(' && '), x.f.conditions[0]?.path ?? x.f.path, 'condition');
    }
    const rawSkip = x.f.raw['skip_if'] as string | undefined;
    const skipIf = rawSkip === undefined ? null : compile(rawSkip, [...x.f.path, 'skip_if'], 'skip_if');
    stages[x.id] = x.build(condition, skipIf);
  }
  return stages;
}

// --- step 7: the definition --------------------------------------------------------------------------------

function assembleDefinition(
  body: Body,
  parts: Pick<WorkflowDefinition, 'trigger' | 'stages' | 'stageOrder' | 'entryStages' | 'params' | 'errorHandling' | 'slaMs' | 'budget'>,
  file: string,
): WorkflowDefinition {
  const versionDeclared = body.version !== undefined;
  const core = {
    id: body.id ?? slug(body.name),
    name: body.name,
    declaredVersion: versionDeclared ? String(body.version) : null,
    description: body.description ?? null,
    trigger: parts.trigger,
    stages: parts.stages,
    stageOrder: parts.stageOrder,
    entryStages: parts.entryStages,
    params: parts.params,
    errorHandling: parts.errorHandling,
    slaMs: parts.slaMs,
    // Only when set: definitions written before budgets existed keep their hash.
    ...(parts.budget ? { budget: parts.budget } : {}),
    metadata: body.metadata ?? {},
  };
  const hash = createHash('sha256').update(canonicalJson(core)).digest('hex');
  const { declaredVersion, ...rest } = core;
  return { ...rest, version: declaredVersion ?? `0.0.0+${hash.slice(0, 12)}`, versionDeclared, hash, source: file };
}

type RawBudgetValue = z.infer<typeof RawBudget>;

/** `budget: {tokens, on_exceed}` (already checked by the schema pass), with the policy a stage inherits. */
function budgetOf(raw: RawBudgetValue | undefined, inherited: TokenBudget['onExceed']): TokenBudget | undefined {
  return raw === undefined ? undefined : { tokens: raw.tokens, onExceed: raw.on_exceed ?? inherited };
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

function triggerOf(body: Body, base: Path, fail: Reporter, setAside: SetAside): WorkflowTrigger {
  const t = body.trigger;
  if (body.schedule !== undefined) {
    if (t !== undefined) fail([...base, 'schedule'], 'give either "schedule" or "trigger", not both', 'key');
    const check = validateCron(body.schedule);
    if (!check.ok) fail([...base, 'schedule'], `schedule: invalid cron expression "${body.schedule}": ${check.reason}`);
    return { kind: 'schedule', cron: body.schedule, timezone: null };
  }
  // Without a readable type, no other trigger key can be judged.
  if (t === undefined || setAside.gone([...base, 'trigger', 'type'])) return { kind: 'manual', authorized: [] };
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

interface Scope extends ConditionScope {
  readonly upstream: ReadonlySet<string>;
}

/**
 * What a stage's conditions may read. Outputs are open (any name not close to a known id is taken
 * for an output) when an upstream stage declares none, and also when the graph is unsound or the
 * schema pass set an `outputs` list aside: then the closed list would not be the whole truth.
 */
function conditionScope(id: string, nodes: readonly GraphNode[], pending: readonly { id: string; f: Flat }[], branches: Branches, pass: Pass): Scope {
  const ancestors = ancestorsOf(nodes, id);
  const upstream = new Set<string>(ancestors);
  const outputNames: string[] = [];
  let openOutputs = pass.graphUnsound;
  for (const x of pending) {
    if (!ancestors.has(x.id)) continue;
    const outputs = x.f.raw['outputs'] as string[] | undefined;
    if (outputs === undefined || pass.setAside.touched([...x.f.path, 'outputs'])) openOutputs = true;
    else outputNames.push(...outputs.filter((o) => ID.test(o)));
    const info = branches.byStage.get(x.id);
    info?.list.forEach((b, i) => {
      upstream.add(b.id ?? b.action);
      if (b.outputs === undefined || pass.setAside.touched([...x.f.path, info.key, i, 'outputs'])) openOutputs = true;
      else outputNames.push(...b.outputs.filter((o) => ID.test(o)));
    });
  }
  const idsIncomplete = pass.stageIdsLost || pass.branchIdsLost;
  return { known: [...CONDITION_ROOTS, ...pending.map((x) => x.id), ...branches.ids.keys()], outputNames, openOutputs, idsIncomplete, upstream };
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
