import { z } from 'zod';
import { ActorSchema } from './envelope';
import { messagesOf, type EventsOf } from './messages';
import { RecordId, ResolutionRecordFields, ResolutionRequestFields, listQuery } from './shared-fields';

const escalationMessages = messagesOf('escalation');

/**
 * Escalations, owned by the escalation service (`baton.cmd.escalation.*`,
 * `baton.qry.escalation.*`), kept in `escalation-<escalationId>` streams and relayed to
 * `baton.evt.escalation.<event>`.
 *
 * The ladder is the escalation matrix of seed 000:
 *   L0 agent autonomous → L1 peer agent (blocked > 30 min, or approval needed)
 *   → L2 lead agent (unresolved > 2 h, or cross-domain) → L3 human (unresolved > 4 h, or a
 *   policy decision) → resolution logged (resolved, exception granted, reassigned).
 * Thresholds can be set per workflow (`escalation:` in the workflow's metadata).
 *
 * An escalation carries the fields of the escalation format of seed 001: issue, workflow stage,
 * options with trade-offs, recommendation, and what is blocked until it is resolved.
 */
export const EscalationLevel = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]);
export type EscalationLevel = z.infer<typeof EscalationLevel>;

/** Why an escalation was raised. */
export const EscalationTrigger = z.enum([
  'blocked_task',
  'stalled_task',
  'sla_breach',
  'repeated_rejections',
  'agent_failure',
  'conflict',
  'approval_needed',
  'cross_domain',
  'policy_decision',
  'manual',
]);
export type EscalationTrigger = z.infer<typeof EscalationTrigger>;

export const EscalationOption = z.strictObject({
  label: z.string().min(1).max(500),
  tradeoff: z.string().max(2000).default(''),
});
export type EscalationOption = z.infer<typeof EscalationOption>;

export const EscalationResolution = z.enum(['resolved', 'exception_granted', 'reassigned']);
export type EscalationResolution = z.infer<typeof EscalationResolution>;

export const EscalationStatus = z.enum(['open', 'resolved']);

/** Who an escalation is with: an agent (peer, lead) or a human. */
export const EscalationAssignee = z.object({ kind: z.enum(['agent', 'human']), id: z.string() });
export type EscalationAssignee = z.infer<typeof EscalationAssignee>;

/** Which escalation, why it was raised, and where it stands on the ladder: how its view and its raised event open. */
const EscalationOpening = {
  escalationId: z.string(),
  trigger: EscalationTrigger,
  level: EscalationLevel,
  assignee: EscalationAssignee,
};

export const EscalationView = z.object({
  ...EscalationOpening,
  status: EscalationStatus,
  /** The escalation format of seed 001. */
  issue: z.string(),
  workflowStage: z.string().nullable(),
  options: z.array(EscalationOption),
  recommendation: z.string().nullable(),
  blocking: z.string(),
  runId: z.string().nullable(),
  stageId: z.string().nullable(),
  taskId: z.string().nullable(),
  agentId: z.string().nullable(),
  raisedAt: z.string(),
  updatedAt: z.string(),
  resolution: EscalationResolution.nullable(),
  resolvedBy: ActorSchema.nullable(),
  resolutionReason: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});
export type EscalationView = z.infer<typeof EscalationView>;

/** Raises an escalation by hand (an agent stuck on a decision, a person). Idempotent by `escalationId`. */
export const RaiseEscalationV1 = z.strictObject({
  escalationId: RecordId.optional(),
  trigger: EscalationTrigger.default('manual'),
  /** Start level; default from the trigger (approval_needed → 1, cross_domain → 2, policy_decision → 3, else 0). */
  level: EscalationLevel.optional(),
  issue: z.string().min(1).max(2000),
  workflowStage: z.string().max(200).optional(),
  options: z.array(EscalationOption).max(20).default([]),
  recommendation: z.string().max(2000).optional(),
  blocking: z.string().max(2000).default(''),
  runId: RecordId.optional(),
  stageId: z.string().max(200).optional(),
  taskId: RecordId.optional(),
  agentId: RecordId.optional(),
});
export const RaiseEscalation = escalationMessages.agentCommand('raise-escalation', 'agentId', RaiseEscalationV1, EscalationView);

/**
 * Ends an escalation with a logged resolution. For an escalation that holds a run's stage
 * (review rejections, approval), `exception_granted` approves the stage and `resolved` with
 * `decision: 'reject'` rejects it, in the scheduler, as the resolving person. `reassigned`
 * needs `reassignTo` for a task escalation and hands the task to that agent.
 * An escalation already resolved → ILLEGAL_TRANSITION.
 */
export const ResolveEscalationV1 = z.strictObject({
  escalationId: RecordId,
  resolution: EscalationResolution,
  ...ResolutionRequestFields,
});
export const ResolveEscalation = escalationMessages.command('resolve-escalation', ResolveEscalationV1, EscalationView);

export const GetEscalation = escalationMessages.query('get-escalation', z.strictObject({ escalationId: RecordId }), EscalationView);

export const ListEscalationsV1 = listQuery({
  status: EscalationStatus.optional(),
  runId: RecordId.optional(),
  level: EscalationLevel.optional(),
});
export const ListEscalations = escalationMessages.query('list-escalations', ListEscalationsV1, z.object({ escalations: z.array(EscalationView) }));

export const escalationStreamId = (escalationId: string): string => `escalation-${escalationId}`;

export const EscalationEventTypes = ['EscalationRaised', 'EscalationLevelRaised', 'EscalationResolved'] as const;

// ---------------------------------------------------------------------------------------------
// Events of the `escalation-<escalationId>` stream (relayed to baton.evt.escalation.<event>:
// raised, level-raised, resolved).
// ---------------------------------------------------------------------------------------------

/**
 * The thresholds an escalation climbs by, fixed when it is raised (from the workflow's
 * `escalation:` metadata, else the escalation service's configuration), so replaying its
 * events always gives the same ladder. Milliseconds.
 */
export const EscalationLadder = z.object({
  /** L0 → L1 (peer): problem older than this. Default 30 min. */
  l1AfterMs: z.number().int().positive(),
  /** → L2 (lead). Default 2 h. */
  l2AfterMs: z.number().int().positive(),
  /** → L3 (human). Default 4 h. */
  l3AfterMs: z.number().int().positive(),
  /** A held task with no progress for this long is stalled. Default 2 h. */
  stallAfterMs: z.number().int().positive(),
  /** A conflict nobody resolved goes to a human after this long. Default 5 min. */
  conflictEscalateMs: z.number().int().positive(),
});
export type EscalationLadder = z.infer<typeof EscalationLadder>;

export const EscalationRaisedV1 = z.object({
  ...EscalationOpening,
  issue: z.string(),
  workflowStage: z.string().nullable(),
  options: z.array(z.object({ label: z.string(), tradeoff: z.string() })),
  recommendation: z.string().nullable(),
  blocking: z.string(),
  runId: z.string().nullable(),
  stageId: z.string().nullable(),
  /** The stage iteration, for escalations about a stage. */
  iteration: z.number().int().min(1).nullable().default(null),
  taskId: z.string().nullable(),
  agentId: z.string().nullable(),
  conflictId: z.string().nullable().default(null),
  /**
   * True when the escalation holds a run's stage (StageEscalated, an approval): resolving it
   * with `exception_granted` approves the stage in the scheduler, `resolved` rejects it.
   */
  decidesStage: z.boolean().default(false),
  /** When the problem began (the level is measured from here). */
  since: z.string(),
  ladder: EscalationLadder,
  raisedAt: z.string(),
});
export type EscalationRaisedData = z.infer<typeof EscalationRaisedV1>;

/** The escalation went up the ladder (timers), to a new assignee. */
export const EscalationLevelRaisedV1 = z.object({
  escalationId: z.string(),
  trigger: EscalationTrigger,
  from: EscalationLevel,
  to: EscalationLevel,
  assignee: EscalationAssignee,
  reason: z.string(),
  raisedAt: z.string(),
});
export type EscalationLevelRaisedData = z.infer<typeof EscalationLevelRaisedV1>;

/** The logged resolution that ends an escalation. */
export const EscalationResolvedV1 = z.object({
  escalationId: z.string(),
  resolution: EscalationResolution,
  ...ResolutionRecordFields,
});
export type EscalationResolvedData = z.infer<typeof EscalationResolvedV1>;

/** Schemas by event type, for consumers that validate what they receive. */
export const EscalationEventSchemas = {
  EscalationRaised: EscalationRaisedV1,
  EscalationLevelRaised: EscalationLevelRaisedV1,
  EscalationResolved: EscalationResolvedV1,
} as const satisfies Record<(typeof EscalationEventTypes)[number], z.ZodType>;

/** Every event of the `escalation-<escalationId>` stream. */
export type EscalationEvent = EventsOf<typeof EscalationEventSchemas>;
