import { z } from 'zod';

// The raw YAML shapes, as written by people (snake_case). The parser validates structure with
// these schemas, then checks meaning (references, cycles, durations, cron, CEL) itself; the same
// schemas generate the JSON Schema editors use, so the two cannot drift.

const Text = z.string().min(1, { error: 'must not be empty' });
const TextList = z.array(Text);
const FreeMap = z.record(z.string(), z.unknown());
const Duration = Text.describe('A duration: "30m", "4 hours", "2 days", "PT4H".');
const Expression = Text.describe('A CEL expression over earlier results, e.g. "quality_check.success && security_scan.passed".');

const AgentObject = z
  .strictObject({
    id: Text.optional(),
    role: Text.optional(),
    capability: Text.optional(),
  })
  .describe('Exactly one of id, role or capability.');

/** `agent:` — an agent id (`MCT-PM-001`), `auto_select_by_component`, `role:<r>`, `capability:<c>`, or an object. */
export const RawAgent = z.union([Text, AgentObject]);

export const RawRetry = z.strictObject({
  max_attempts: z.number().int({ error: 'must be a whole number' }),
  backoff: z.enum(['fixed', 'linear', 'exponential']).optional(),
  initial_delay: Duration.optional(),
  max_delay: Duration.optional(),
  jitter: z.enum(['none', 'full']).optional(),
});

/** A token budget: at 80 % a warning; at 100 % the policy, escalate (default) or pause the run. */
export const RawBudget = z.strictObject({
  tokens: z.number().int({ error: 'must be a whole number' }).positive({ error: 'must be above 0' }),
  on_exceed: z.enum(['escalate', 'pause']).optional(),
});

const NotifyObject = z.strictObject({ channel: Text, target: Text.optional(), message: Text.optional() });

export const RawFailureStep = z
  .strictObject({
    agent: RawAgent.optional(),
    action: Text.optional(),
    notify: z.union([Text, NotifyObject]).optional(),
  })
  .describe('Either `notify: <channel>` or an agent and action.');

export const RawBranch = z.strictObject({
  id: Text.optional(),
  agent: RawAgent,
  action: Text,
  inputs: TextList.optional(),
  outputs: TextList.optional(),
  tickets: Text.optional(),
  params: FreeMap.optional(),
  timeout: Duration.optional(),
});

const SyncPointText = z.union([z.enum(['all_complete', 'any_complete']), z.string().regex(/^\d+_of_\d+$/, { error: 'must be all_complete, any_complete or "<n>_of_<m>"' })]);

export const RawSyncPoint = z.union([SyncPointText, z.strictObject({ min: z.number().int() })]);

export const RawLoop = z.strictObject({
  back_to: Text,
  max_iterations: z.number().int({ error: 'must be a whole number' }).optional(),
  on_exhausted: Text.optional(),
});

export const RawNext = z.union([Text, z.record(z.string(), Text)]);

export interface RawStageShape {
  stage?: string;
  id?: string;
  [key: string]: unknown;
}

/** One entry of `stages:` (seed 000) or `steps:` (seed 003). Both accept the same keys. */
export const RawStage: z.ZodType<RawStageShape> = z.lazy(() =>
  z.strictObject({
    stage: Text.optional(),
    id: Text.optional(),
    name: Text.optional(),
    description: Text.optional(),
    agent: RawAgent.optional(),
    action: Text.optional(),
    inputs: TextList.optional(),
    outputs: TextList.optional(),
    params: FreeMap.optional(),
    depends_on: TextList.optional(),
    next: RawNext.optional(),
    parallel: z.union([z.boolean(), z.array(RawBranch)]).optional(),
    parallel_agents: z.array(RawBranch).optional(),
    sync_point: RawSyncPoint.optional(),
    condition: Expression.optional(),
    then: z.array(RawStage).optional(),
    skip_if: Expression.optional(),
    loop: RawLoop.optional(),
    retry: RawRetry.optional(),
    on_failure: z.array(RawFailureStep).optional(),
    sla: Duration.optional(),
    timeout: Duration.optional(),
    budget: RawBudget.optional(),
    quality_gate: TextList.optional(),
    approvers: TextList.optional(),
    requires_approval: z.union([z.boolean(), TextList]).optional(),
    blocking: z.boolean().optional(),
    criteria: TextList.optional(),
    cleanup: TextList.optional(),
    metadata: FreeMap.optional(),
  }),
);

export const RawTrigger = z.strictObject({
  type: z.enum(['manual', 'automatic', 'work_item', 'schedule']),
  authorized: TextList.optional(),
  source: Text.optional(),
  item_types: TextList.optional(),
  cron: Text.optional(),
  timezone: Text.optional(),
});

export const RawErrorHandling = z.strictObject({
  retry: RawRetry.optional(),
  on_failure: z.array(RawFailureStep).optional(),
});

/** The workflow body: under `workflow:` (seed 000) or at the root (seed 003). */
export const RawWorkflowBody = z.strictObject({
  name: Text,
  id: Text.optional(),
  version: z.union([Text, z.number()]).optional(),
  description: Text.optional(),
  trigger: RawTrigger.optional(),
  schedule: Text.optional(),
  start: z.union([Text, TextList]).optional(),
  stages: z.array(RawStage).optional(),
  steps: z.array(RawStage).optional(),
  params: FreeMap.optional(),
  error_handling: RawErrorHandling.optional(),
  sla: Duration.optional(),
  budget: RawBudget.optional(),
  metadata: FreeMap.optional(),
});

export const RawWorkflowFile = z.union([z.strictObject({ workflow: RawWorkflowBody }), RawWorkflowBody]);

/** Keys each object kind accepts, for did-you-mean on unknown keys. */
export const KNOWN_KEYS = {
  root: ['workflow', ...Object.keys(RawWorkflowBody.shape)],
  body: Object.keys(RawWorkflowBody.shape),
  branch: Object.keys(RawBranch.shape),
  failureStep: ['agent', 'action', 'notify'],
  /** The keys of the object under a field of that name, wherever the field stands (a stage's `retry:`, error_handling's…). */
  underField: {
    trigger: Object.keys(RawTrigger.shape),
    error_handling: Object.keys(RawErrorHandling.shape),
    retry: Object.keys(RawRetry.shape),
    loop: Object.keys(RawLoop.shape),
    notify: Object.keys(NotifyObject.shape),
    agent: Object.keys(AgentObject.shape),
    sync_point: ['min'],
    budget: Object.keys(RawBudget.shape),
  } as Readonly<Record<string, readonly string[]>>,
} as const;

/** Stage keys, listed here because the stage schema is lazy (it nests through `then`). */
export const STAGE_KEYS = [
  'stage', 'id', 'name', 'description', 'agent', 'action', 'inputs', 'outputs', 'params', 'depends_on', 'next', 'parallel',
  'parallel_agents', 'sync_point', 'condition', 'then', 'skip_if', 'loop', 'retry', 'on_failure', 'sla', 'timeout',
  'budget', 'quality_gate', 'approvers', 'requires_approval', 'blocking', 'criteria', 'cleanup', 'metadata',
] as const;

type JsonObject = { [key: string]: unknown };

/**
 * The draft-07 JSON Schema of a workflow file, for editors (`# yaml-language-server: $schema=…`).
 * Every closed object also admits `x-…` extension keys, as the parser does.
 */
export function workflowJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(RawWorkflowFile, { target: 'draft-7', io: 'input' }) as JsonObject;
  allowExtensions(schema);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://baton.dev/schemas/workflow.schema.json',
    title: 'Baton workflow',
    description: 'A Baton workflow definition: `workflow:` with `stages:` (seed 000 shape) or root-level `name`/`steps:` (seed 003 shape).',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

function allowExtensions(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(allowExtensions);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as JsonObject;
  if (obj['type'] === 'object' && obj['additionalProperties'] === false && obj['properties'] !== undefined) {
    obj['patternProperties'] = { '^x-': {} };
  }
  for (const value of Object.values(obj)) allowExtensions(value);
}
