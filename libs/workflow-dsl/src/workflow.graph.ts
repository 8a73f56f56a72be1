import { evaluateCondition, type ConditionContext } from './condition.evaluator';
import type { NextRule, StageDefinition, SyncPoint, WorkflowDefinition } from './workflow.model';

// ---------------------------------------------------------------------------------------------
// Load-time analysis (used by the compiler)
// ---------------------------------------------------------------------------------------------

/** The edges of one stage, as the load-time checks see them. */
export interface GraphNode {
  readonly id: string;
  readonly next: readonly string[];
  readonly dependsOn: readonly string[];
  /** Target of a declared bounded loop: the edge `id → loopBackTo` may close a cycle. */
  readonly loopBackTo: string | null;
}

/** Stage ids every `next` rule of a stage can lead to. */
export function nextTargets(next: NextRule): string[] {
  switch (next.kind) {
    case 'none':
      return [];
    case 'sequential':
      return [next.target];
    case 'by_outcome':
      return [...new Set(Object.values(next.targets))];
    default: {
      const unreachable: never = next;
      return unreachable;
    }
  }
}

/** Successors of each node: its `next` targets plus the stages that depend on it. */
export function successors(nodes: readonly GraphNode[], includeLoops: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    for (const t of n.next) {
      if (!includeLoops && t === n.loopBackTo) continue;
      if (out.has(t)) out.get(n.id)?.push(t);
    }
    for (const d of n.dependsOn) if (out.has(d)) out.get(d)?.push(n.id);
  }
  return out;
}

/**
 * The first cycle found (as a closed path `a → b → a`), ignoring declared loop back edges,
 * or null when the graph is acyclic.
 */
export function findCycle(nodes: readonly GraphNode[]): string[] | null {
  const succ = successors(nodes, false);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 'open');
    stack.push(id);
    for (const s of succ.get(id) ?? []) {
      const st = state.get(s);
      if (st === 'open') return [...stack.slice(stack.indexOf(s)), s];
      if (st === undefined) {
        const found = visit(s);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const n of nodes) {
    if (state.has(n.id)) continue;
    const found = visit(n.id);
    if (found) return found;
  }
  return null;
}

/** Every node reachable from `from` (inclusive), following next, depends_on and loop edges. */
export function reachableFrom(nodes: readonly GraphNode[], from: readonly string[]): Set<string> {
  const succ = successors(nodes, true);
  return closure(from, (id) => succ.get(id) ?? []);
}

/** Stages that can run before `id` (its transitive predecessors, loops excluded). */
export function ancestorsOf(nodes: readonly GraphNode[], id: string): Set<string> {
  const succ = successors(nodes, false);
  const pred = new Map<string, string[]>();
  for (const [from, tos] of succ) for (const to of tos) pred.set(to, [...(pred.get(to) ?? []), from]);
  return closure(pred.get(id) ?? [], (p) => pred.get(p) ?? []);
}

/** `start` and every stage `next` leads to from it, transitively (each visited once). */
function closure(start: readonly string[], next: (id: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length > 0) {
    const id = todo.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...next(id));
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------
// Run-time helpers (used by the scheduler; pure)
// ---------------------------------------------------------------------------------------------

/** Where a stage (or branch) stands in one run. `waiting` = activated, fan-in not yet satisfied. */
export type StageStatus = 'pending' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** What the scheduler knows about one branch of a parallel stage. */
export interface BranchResult {
  readonly status: StageStatus;
  readonly outputs?: Readonly<Record<string, unknown>>;
}

/** What the scheduler knows about one stage in a run. */
export interface StageResult {
  readonly status: StageStatus;
  /** The outcome the agent reported (`P0`, `approved`, `rejected`, …). */
  readonly outcome?: string;
  readonly outputs?: Readonly<Record<string, unknown>>;
  /** How many times the stage has completed in this run (loops), counting the latest. */
  readonly runs?: number;
  readonly attempts?: number;
  readonly branches?: Readonly<Record<string, BranchResult>>;
}

/** Results by stage id; stages absent here are `pending`. */
export type RunResults = Readonly<Record<string, StageResult>>;

/** A loop that reached its bound instead of going round again. */
export interface LoopExhaustion {
  readonly stageId: string;
  readonly backTo: string;
  readonly maxIterations: number;
  /** Where the run continues, or null to escalate. */
  readonly continueWith: string | null;
}

/** Answer of {@link nextStages}. */
export interface NextStagesResult {
  /** Stages to start now. Order follows the file. */
  readonly ready: readonly string[];
  /** Stages activated whose fan-in (depends_on / sync point) is not yet satisfied: mark them `waiting`. */
  readonly waiting: readonly string[];
  /** Set when the stage reported an outcome its `next` map does not name (and there is no `*`). */
  readonly unmatchedOutcome: string | null;
  readonly loopExhausted: LoopExhaustion | null;
}

/** A definition's stages as graph nodes (the edges the load-time checks use). */
function nodesOf(def: WorkflowDefinition): GraphNode[] {
  return def.stageOrder.map((id) => {
    const st = def.stages[id] as StageDefinition;
    return { id, next: nextTargets(st.next), dependsOn: st.dependsOn, loopBackTo: st.loop?.backTo ?? null };
  });
}

/**
 * Stages a rerun from `stageId` may run again: the stage itself and every stage its work flows
 * into (next, depends_on, loops), transitively. The others keep a rerun's recorded results.
 *
 * @example downstreamOf(featureDevelopment, 'testing') // Set { 'testing', 'deployment', … }
 */
export function downstreamOf(def: WorkflowDefinition, stageId: string): Set<string> {
  return reachableFrom(nodesOf(def), [stageId]);
}

const isComplete = (s: StageStatus | undefined): boolean => s === 'succeeded' || s === 'skipped';

/**
 * Stages to start when a run begins: the declared `start` stages, else the first stage plus any
 * stage with an explicit empty `depends_on`.
 *
 * @example initialStages(def) // ['initiation']
 */
export function initialStages(def: WorkflowDefinition): readonly string[] {
  return def.entryStages;
}

/**
 * Whether a stage's fan-in is satisfied: all (or any, or n) of its `depends_on` are complete
 * (succeeded or skipped). A stage without dependencies is always satisfied. When the stage has
 * parallel branches, its sync point governs the branches instead and dependencies need all.
 */
export function dependenciesSatisfied(stage: StageDefinition, results: RunResults): boolean {
  const done = stage.dependsOn.filter((d) => isComplete(results[d]?.status)).length;
  const total = stage.dependsOn.length;
  if (total === 0) return true;
  const sync: SyncPoint = stage.branches.length > 0 ? { kind: 'all_complete' } : stage.syncPoint;
  return quorumMet(sync, done, total);
}

function quorumMet(sync: SyncPoint, done: number, total: number): boolean {
  switch (sync.kind) {
    case 'all_complete':
      return done === total;
    case 'any_complete':
      return done >= 1;
    case 'n_of_m':
      return done >= sync.n;
    default: {
      const unreachable: never = sync;
      return unreachable;
    }
  }
}

/**
 * The tasks a stage fans out to: its own agent/action (if any) plus each parallel branch. The
 * scheduler starts them all at once and asks {@link branchSyncState} when the stage is done.
 */
export function stageTasks(stage: StageDefinition): readonly { readonly id: string; readonly action: string; readonly agent: StageDefinition['agent'] }[] {
  const own = stage.action === null ? [] : [{ id: stage.id, action: stage.action, agent: stage.agent }];
  return [...own, ...stage.branches.map((b) => ({ id: b.id, action: b.action, agent: b.agent }))];
}

/**
 * Folds the results of a parallel stage's tasks (keyed by task id from {@link stageTasks}) through
 * its sync point: `succeeded` once the quorum completed, `failed` once the quorum can no longer be
 * met, else `running`.
 */
export function branchSyncState(stage: StageDefinition, taskResults: Readonly<Record<string, BranchResult>>): 'running' | 'succeeded' | 'failed' {
  const tasks = stageTasks(stage);
  const total = tasks.length;
  const done = tasks.filter((t) => isComplete(taskResults[t.id]?.status)).length;
  const failed = tasks.filter((t) => taskResults[t.id]?.status === 'failed').length;
  if (quorumMet(stage.syncPoint, done, total)) return 'succeeded';
  const needed = stage.syncPoint.kind === 'all_complete' ? total : stage.syncPoint.kind === 'any_complete' ? 1 : stage.syncPoint.n;
  return total - failed < needed ? 'failed' : 'running';
}

/**
 * What to start after `stageId` completed (or was skipped) with `outcome`, given the results so
 * far (which must already include `stageId`'s result).
 *
 * - sequential `next` → that stage; outcome-keyed `next` → the stage for `outcome` (or `*`);
 *   a skipped stage follows its `next` for outcome `skipped`, else its sequential `next`;
 * - a `next` back to a declared loop target counts `results[stageId].runs`; at `maxIterations`
 *   the loop is exhausted and the run goes to `loop.onExhausted` (or escalates);
 * - stages that `depends_on` this one become ready once their fan-in is satisfied (DAG readiness);
 *   `next` targets that still wait on dependencies are returned as `waiting`.
 *
 * @example nextStages(bugFix, 'triage', 'P0', { triage: { status: 'succeeded', outcome: 'P0' } }).ready // ['immediate_fix']
 */
export function nextStages(def: WorkflowDefinition, stageId: string, outcome: string | undefined, results: RunResults): NextStagesResult {
  const stage = def.stages[stageId];
  if (stage === undefined) throw new RangeError(`workflow ${def.id} has no stage "${stageId}"`);
  const status = results[stageId]?.status ?? 'succeeded';
  let activated: string[] = [];
  let unmatchedOutcome: string | null = null;
  let loopExhausted: LoopExhaustion | null = null;

  if (status === 'succeeded' || status === 'skipped' || status === 'failed') {
    const next = stage.next;
    if (next.kind === 'sequential' && status !== 'failed') activated = [next.target];
    if (next.kind === 'by_outcome') {
      const key = outcome ?? (status === 'skipped' ? 'skipped' : undefined);
      const target = key === undefined ? undefined : (next.targets[key] ?? next.targets['*']);
      if (target !== undefined) activated = [target];
      else if (status !== 'failed') unmatchedOutcome = key ?? '';
    }
  }

  if (stage.loop !== null && activated.includes(stage.loop.backTo)) {
    const runs = results[stageId]?.runs ?? 1;
    if (runs >= stage.loop.maxIterations) {
      loopExhausted = { stageId, backTo: stage.loop.backTo, maxIterations: stage.loop.maxIterations, continueWith: stage.loop.onExhausted };
      activated = stage.loop.onExhausted === null ? [] : [stage.loop.onExhausted];
    }
  }

  const ready = new Set<string>();
  const waiting = new Set<string>();
  const looping = stage.loop !== null && loopExhausted === null && activated.includes(stage.loop.backTo);
  for (const id of activated) {
    const target = def.stages[id];
    if (target === undefined) continue;
    if (looping && id === stage.loop?.backTo) ready.add(id);
    else if (dependenciesSatisfied(target, results)) ready.add(id);
    else waiting.add(id);
  }
  if (status !== 'failed') {
    for (const id of def.stageOrder) {
      const candidate = def.stages[id];
      if (candidate === undefined || !candidate.dependsOn.includes(stageId)) continue;
      const st = results[id]?.status ?? 'pending';
      if (st !== 'pending' && st !== 'waiting') continue;
      const hasIncomingNext = def.stageOrder.some((other) => nextTargets(def.stages[other]?.next ?? { kind: 'none' }).includes(id));
      if (hasIncomingNext && st !== 'waiting') continue;
      if (dependenciesSatisfied(candidate, results)) ready.add(id);
    }
  }
  const order = (ids: Set<string>) => def.stageOrder.filter((id) => ids.has(id));
  return { ready: order(ready), waiting: order(waiting), unmatchedOutcome, loopExhausted };
}

/** Answer of {@link shouldSkip}. */
export type SkipDecision = { readonly skip: false } | { readonly skip: true; readonly reason: string };

/**
 * Whether a stage that became ready should be skipped: its `condition` is false, or its `skip_if`
 * is true. Evaluate it when the stage becomes ready, against {@link conditionContext}.
 *
 * @throws ConditionEvaluationError when an expression cannot be evaluated.
 */
export function shouldSkip(stage: StageDefinition, context: ConditionContext): SkipDecision {
  if (stage.condition !== null && !evaluateCondition(stage.condition, context)) {
    return { skip: true, reason: `condition "${stage.condition.source}" is false` };
  }
  if (stage.skipIf !== null && evaluateCondition(stage.skipIf, context)) {
    return { skip: true, reason: `skip_if "${stage.skipIf.source}" is true` };
  }
  return { skip: false };
}

/** A stage or branch as conditions see it. */
export interface ConditionResultView {
  readonly status: StageStatus;
  readonly success: boolean;
  /** Alias of `success`, the word the seed uses (`security_scan.passed`). */
  readonly passed: boolean;
  readonly failed: boolean;
  readonly skipped: boolean;
  readonly outcome: string;
  readonly runs: number;
  readonly outputs: Readonly<Record<string, unknown>>;
}

function view(status: StageStatus, outputs: Readonly<Record<string, unknown>> | undefined, outcome = '', runs = 0): ConditionResultView {
  return {
    status,
    success: status === 'succeeded',
    passed: status === 'succeeded',
    failed: status === 'failed',
    skipped: status === 'skipped',
    outcome,
    runs,
    outputs: outputs ?? {},
  };
}

/**
 * Builds the context conditions evaluate against:
 * - `<stageId>` and `<branchId>` → {@link ConditionResultView} (`build.success`, `security_scan.passed`,
 *   `triage.outcome == "P0"`, `testing.outputs.coverage >= 80`); stages not yet run are `pending`;
 * - `params` → the workflow defaults overlaid with `params`;
 * - `trigger` → the triggering work item (or `{}`);
 * - every output key of a succeeded stage or branch, at top level, later stages in file order
 *   overriding earlier ones (`error_rate > 0.05`).
 */
export function conditionContext(
  def: WorkflowDefinition,
  results: RunResults,
  params: Readonly<Record<string, unknown>> = {},
  trigger: Readonly<Record<string, unknown>> = {},
): ConditionContext {
  const ctx: Record<string, unknown> = {};
  for (const id of def.stageOrder) {
    const stage = def.stages[id];
    const r = results[id];
    if (stage === undefined) continue;
    if (r?.status === 'succeeded') Object.assign(ctx, r.outputs ?? {});
    for (const b of stage.branches) {
      const br = r?.branches?.[b.id];
      if (br?.status === 'succeeded') Object.assign(ctx, br.outputs ?? {});
    }
  }
  for (const id of def.stageOrder) {
    const stage = def.stages[id];
    const r = results[id];
    if (stage === undefined) continue;
    ctx[id] = view(r?.status ?? 'pending', r?.outputs, r?.outcome, r?.runs ?? (r?.status === 'succeeded' ? 1 : 0));
    for (const b of stage.branches) {
      const br = r?.branches?.[b.id];
      ctx[b.id] = view(br?.status ?? 'pending', br?.outputs);
    }
  }
  const defaults = Object.fromEntries(Object.entries(def.params).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
  ctx['params'] = { ...defaults, ...params };
  ctx['trigger'] = trigger;
  return ctx;
}
