import { z } from 'zod';
import { messagesOf, type EventsOf } from './messages';
import { NameId, RecordId, listQuery } from './shared-fields';

const handoffValidatorMessages = messagesOf('handoff-validator');

/**
 * Handoffs, owned by the handoff-validator (`baton.cmd.handoff-validator.*`,
 * `baton.qry.handoff-validator.*`). A handoff is the work an agent passes on: artifacts (stored
 * content-addressed, referenced by hash in every event) and context. The validator checks it
 * against the handoff specs that apply (`examples/handoffs/*.yaml`, seed 000) and the stage's
 * quality gates and criteria, and records the verdict in the `handoff-<handoffId>` stream
 * (relayed to `baton.evt.handoff.<event>`).
 *
 * The scheduler calls `validate-handoff` when an agent completes a task that has checks (see
 * `TaskChecks`); agents may also call it themselves to try a handoff before completing.
 */
/** Largest artifact accepted in one message, decoded (bytes). The validator may set a lower limit (ARTIFACT_MAX_BYTES). */
export const MAX_ARTIFACT_BYTES = 768 * 1024;

/** `sha256:<64 hex>`: an artifact's address. */
export const ArtifactHash = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" and 64 lower-case hex digits');
export type ArtifactHash = z.infer<typeof ArtifactHash>;

/**
 * An artifact as an agent hands it over. `name` is the artifact name a spec or stage uses
 * (`prd.md`, `api_spec.yaml`, `designs/`, `linear_tickets[]`, `pull_request`). Text goes as
 * `utf8`; binary as `base64`. Structured artifacts (a pull request's flags, a list of tickets)
 * go as JSON text with mediaType `application/json`.
 */
export const ArtifactInput = z.strictObject({
  name: z.string().min(1).max(300),
  content: z.string().max(Math.ceil((MAX_ARTIFACT_BYTES * 4) / 3) + 4),
  encoding: z.enum(['utf8', 'base64']).default('utf8'),
  /** Guessed from the name when absent (`.md` → text/markdown, `.yaml` → application/yaml, `.json` → application/json). */
  mediaType: z.string().min(1).max(200).optional(),
});
export type ArtifactInput = z.infer<typeof ArtifactInput>;

/** An artifact as events and replies name it: by hash. */
export const ArtifactRef = z.object({
  name: z.string(),
  hash: ArtifactHash,
  size: z.number().int().nonnegative(),
  mediaType: z.string(),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;

/** What the scheduler asks to be checked when a task completes (also given to the agent in `inputs.checks`). */
export const TaskChecks = z.strictObject({
  /**
   * `handoff`: a failing check sends the task back to the agent that did it (rework);
   * `review`: the task is a review (a blocking stage's `criteria`), and a failing check is its
   * verdict on the work it reviewed, which goes back upstream.
   */
  mode: z.enum(['handoff', 'review']).default('handoff'),
  /** Specs named by the stage (`handoff: HO-PM-ARCH`); when empty, specs are matched by from/to agent. */
  specIds: z.array(z.string().min(1).max(200)).max(20).default([]),
  /** Agents the work goes to next (for matching specs by `to`). */
  toAgentIds: z.array(NameId).max(50).default([]),
  /** The stage's declared outputs; a spec's artifact the stage does not declare is checked only if handed over. Null: all are required. */
  declaredOutputs: z.array(z.string().min(1).max(300)).max(100).nullable().default(null),
  qualityGate: z.array(z.string().min(1).max(500)).max(100).default([]),
  criteria: z.array(z.string().min(1).max(500)).max(100).default([]),
});
export type TaskChecks = z.infer<typeof TaskChecks>;

/** One rule that did not hold, and what is missing. */
export const RuleFailure = z.object({
  /** Where the rule came from. */
  source: z.enum(['handoff', 'quality_gate', 'criteria', 'context']),
  /** The handoff spec (`HO-PM-ARCH`), or null for gates and criteria. */
  specId: z.string().nullable(),
  /** The artifact the rule is about, or null (context keys, reported values). */
  artifact: z.string().nullable(),
  /** The rule as written: `user_stories: min 3`, `coverage >= 80%`. */
  rule: z.string(),
  /** What is wrong, for the agent: `user_stories has 0 items; at least 3 are required`. */
  message: z.string(),
  /** The missing items, one per entry: `section "User Stories"`, `acceptance criteria for story 2`. */
  missing: z.array(z.string()).default([]),
});
export type RuleFailure = z.infer<typeof RuleFailure>;

export const HandoffStatus = z.enum(['accepted', 'rejected']);
export type HandoffStatus = z.infer<typeof HandoffStatus>;

export const HandoffVerdict = z.object({
  handoffId: z.string(),
  status: HandoffStatus,
  failures: z.array(RuleFailure),
  /** Specs that applied. */
  specIds: z.array(z.string()),
  artifacts: z.array(ArtifactRef),
  rulesChecked: z.number().int().nonnegative(),
});
export type HandoffVerdict = z.infer<typeof HandoffVerdict>;

/**
 * Stores the artifacts, checks the handoff and records the verdict. Idempotent by `handoffId`:
 * the same id again replies with the recorded verdict. A rejection is a normal reply
 * (`status: 'rejected'` with every failing rule), not an error.
 */
export const ValidateHandoffV1 = z.strictObject({
  handoffId: RecordId,
  taskId: NameId,
  runId: NameId.nullable().default(null),
  stageId: z.string().min(1).max(200).nullable().default(null),
  iteration: z.number().int().min(1).nullable().default(null),
  fromAgentId: NameId,
  checks: TaskChecks.default({ mode: 'handoff', specIds: [], toAgentIds: [], declaredOutputs: null, qualityGate: [], criteria: [] }),
  artifacts: z.array(ArtifactInput).max(100).default([]),
  /** Artifacts stored earlier (`put-artifact`, or upstream stages) to include by hash. */
  artifactRefs: z.array(z.strictObject({ name: z.string().min(1).max(300), hash: ArtifactHash })).max(100).default([]),
  context: z.record(z.string(), z.unknown()).default({}),
  /** Values the agent reports (gate metrics such as `coverage: 85`, `findings: [...]`, flags such as `tests_passing: true`). */
  outputs: z.record(z.string(), z.unknown()).default({}),
});
export const ValidateHandoff = handoffValidatorMessages.command('validate-handoff', ValidateHandoffV1, HandoffVerdict);

/** Stores one artifact ahead of a handoff (for artifacts too large to send together). Idempotent by content. */
export const PutArtifact = handoffValidatorMessages.command('put-artifact', ArtifactInput, ArtifactRef);

export const GetArtifact = handoffValidatorMessages.query('get-artifact', z.strictObject({ hash: ArtifactHash }), z.object({ hash: ArtifactHash, size: z.number().int(), mediaType: z.string(), encoding: z.enum(['utf8', 'base64']), content: z.string() }));

/** Which handoff, from which task, in which run stage (null outside a run): the fields its events and its view open with. */
const HandoffKeyFields = {
  handoffId: z.string(),
  taskId: z.string(),
  runId: z.string().nullable(),
  stageId: z.string().nullable(),
};

export const HandoffView = z.object({
  ...HandoffKeyFields,
  iteration: z.number().int().nullable(),
  fromAgentId: z.string(),
  status: HandoffStatus,
  specIds: z.array(z.string()),
  artifacts: z.array(ArtifactRef),
  context: z.record(z.string(), z.unknown()),
  failures: z.array(RuleFailure),
  submittedAt: z.string(),
});
export type HandoffView = z.infer<typeof HandoffView>;

export const GetHandoff = handoffValidatorMessages.query('get-handoff', z.strictObject({ handoffId: RecordId }), HandoffView);

export const ListHandoffsV1 = listQuery({
  runId: NameId.optional(),
  taskId: NameId.optional(),
  status: HandoffStatus.optional(),
});
export const ListHandoffs = handoffValidatorMessages.query('list-handoffs', ListHandoffsV1, z.object({ handoffs: z.array(HandoffView) }));

/** The handoff specs the validator loaded (HANDOFFS_DIR). */
export const ListHandoffSpecsReply = z.object({
  specs: z.array(z.object({ id: z.string(), from: z.array(z.string()), to: z.array(z.string()), artifacts: z.array(z.string()), context: z.array(z.string()), source: z.string() })),
});
export const ListHandoffSpecs = handoffValidatorMessages.query('list-handoff-specs', z.strictObject({}), ListHandoffSpecsReply);

// ---------------------------------------------------------------------------------------------
// Events of the `handoff-<handoffId>` stream (relayed to baton.evt.handoff.<event>)
// ---------------------------------------------------------------------------------------------

export const handoffStreamId = (handoffId: string): string => `handoff-${handoffId}`;

export const HandoffSubmittedV1 = z.object({
  ...HandoffKeyFields,
  iteration: z.number().int().nullable(),
  fromAgentId: z.string(),
  toAgentIds: z.array(z.string()),
  specIds: z.array(z.string()),
  artifacts: z.array(ArtifactRef),
  context: z.record(z.string(), z.unknown()),
  submittedAt: z.string(),
});

/** What both verdicts on a handoff say: which handoff, of which task, checked against which specs. */
const HandoffVerdictFields = {
  ...HandoffKeyFields,
  fromAgentId: z.string(),
  specIds: z.array(z.string()),
  rulesChecked: z.number().int().nonnegative(),
};

export const HandoffAcceptedV1 = z.object({ ...HandoffVerdictFields, acceptedAt: z.string() });

export const HandoffRejectedV1 = z.object({ ...HandoffVerdictFields, failures: z.array(RuleFailure), rejectedAt: z.string() });

export const HandoffEventTypes = ['HandoffSubmitted', 'HandoffAccepted', 'HandoffRejected'] as const;

/** The schema of each handoff event type (every type at version 1 so far). */
export const HandoffEventSchemas = {
  HandoffSubmitted: HandoffSubmittedV1,
  HandoffAccepted: HandoffAcceptedV1,
  HandoffRejected: HandoffRejectedV1,
} as const satisfies Record<(typeof HandoffEventTypes)[number], z.ZodType>;

/** Every event of the `handoff-<handoffId>` stream (relayed to `baton.evt.handoff.<event>`). */
export type HandoffEvent = EventsOf<typeof HandoffEventSchemas>;

/**
 * The SLAs of the handoffs a task receives (seed 000: `sla: {acknowledgment, first_output}`),
 * put by the scheduler in the receiving task's `inputs.handoffSla`: the tightest of the specs
 * from an upstream stage's agent to this task's agent. The escalation service raises an
 * `sla_breach` escalation when the task is not accepted within `acknowledgmentMs` of its
 * assignment, or shows no first output (progress or completion) within `firstOutputMs` of it.
 */
export const HandoffSla = z.object({
  specIds: z.array(z.string()),
  acknowledgmentMs: z.number().int().positive().nullable(),
  firstOutputMs: z.number().int().positive().nullable(),
});
export type HandoffSla = z.infer<typeof HandoffSla>;
