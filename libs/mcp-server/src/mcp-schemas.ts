import { z } from 'zod';
import { BatonError, EscalationLevel, EscalationAssignee, HandoffVerdict, RuleFailure, TaskPriority, TaskRequirement } from '@baton/contracts';

/**
 * The input fields of report_blocked, the same in both servers (the engine's and the file-mode
 * one); each server adds its own task id.
 */
export const BlockedInput = {
  reason: z.string().min(1).max(2000).optional().describe('What blocks you (required unless unblocked)'),
  unblocked: z.boolean().default(false).describe('true: the block is over'),
};

/** release_task's reason, the same in both servers. */
export const ReleaseReason = z.string().min(1).max(4000).describe('Why you give it back');

/** report_blocked's rule in both servers: a block needs its reason (an unblock may go without). */
export function blockReason(reason: string | undefined): string {
  if (reason === undefined) throw new BatonError('VALIDATION_FAILED', 'reason is required to report a block', { issues: [{ path: 'reason', message: 'required' }] });
  return reason;
}

/**
 * Output schemas of the MCP tools (also what `structuredContent` is parsed through before it is
 * sent, so a client sees exactly these fields).
 */

const SpecSummary = z.object({ id: z.string(), from: z.array(z.string()), to: z.array(z.string()), artifacts: z.array(z.string()), context: z.array(z.string()), source: z.string() });

export const TaskContextOutput = z.object({
  taskId: z.string(),
  runId: z.string().nullable(),
  stageId: z.string().nullable(),
  action: z.string(),
  goal: z.string(),
  priority: z.string(),
  attempt: z.number().int(),
  leaseEpoch: z.number().int(),
  inputs: z.record(z.string(), z.unknown()),
  files: z.array(z.string()),
  upstreamArtifacts: z.array(
    z.object({ stageId: z.string(), name: z.string(), hash: z.string(), size: z.number().nullable(), mediaType: z.string().nullable(), uri: z.string() }),
  ),
  rework: z
    .object({ source: z.enum(['handoff', 'review']), handoffId: z.string().nullable(), round: z.number().int(), failures: z.array(RuleFailure), note: z.string().nullable() })
    .nullable(),
  checks: z
    .object({
      mode: z.enum(['handoff', 'review']),
      specs: z.array(SpecSummary),
      unknownSpecIds: z.array(z.string()),
      declaredOutputs: z.array(z.string()).nullable(),
      qualityGate: z.array(z.string()),
      criteria: z.array(z.string()),
    })
    .nullable(),
});

export const HeldTaskOutput = z.object({
  taskId: z.string(),
  leaseEpoch: z.number().int(),
  status: z.string(),
  context: TaskContextOutput,
});

export const NextTaskOutput = z.object({
  task: HeldTaskOutput.nullable(),
  message: z.string(),
});

export const ClaimableTasksOutput = z.object({
  tasks: z.array(
    z.object({
      taskId: z.string(),
      action: z.string(),
      priority: TaskPriority,
      runId: z.string().nullable(),
      stageId: z.string().nullable(),
      requirement: TaskRequirement,
      attempt: z.number().int(),
      createdAt: z.string(),
    }),
  ),
});

export const ReportOutput = z.object({ taskId: z.string(), status: z.string() });

export const ProgressOutput = ReportOutput.extend({ leaseEpoch: z.number().int() });

export const HandoffOutput = z.object({
  taskId: z.string(),
  status: z.string(),
  accepted: z.boolean(),
  verdict: HandoffVerdict.nullable(),
  releasedReservations: z.array(z.string()),
  /** What to do next, in a sentence. */
  next: z.string(),
});

export const ReleaseOutput = ReportOutput.extend({ releasedReservations: z.array(z.string()) });

export const EscalationOutput = z.object({ escalationId: z.string(), level: EscalationLevel, assignee: EscalationAssignee, status: z.string() });

export const ReservationOutput = z.object({
  reservationId: z.string(),
  taskId: z.string(),
  paths: z.array(z.string()),
  expiresAt: z.string(),
  conflicts: z.array(z.object({ conflictId: z.string(), kind: z.string(), taskIds: z.array(z.string()), description: z.string() })),
});
