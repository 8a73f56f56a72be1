/**
 * Escalation ids are deterministic: the same problem always gets the same id, so a redelivered
 * event or a timer fired twice never raises it twice. They follow the contracts' id rule
 * (letters, digits, `._:-`, 1-200 chars): other characters become `_`, and an id that would be
 * too long keeps its start and ends with a short checksum of the whole.
 */
const ALLOWED = /[^A-Za-z0-9._:-]/g;
const MAX = 200;

/** A 32-bit FNV-1a checksum, in hex (pure; enough to tell long ids apart). */
function checksum(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Joins parts with `-` into a valid escalation id.
 *
 * @example escalationId('run', 'r-1', 'review', 2) // 'run-r-1-review-2'
 */
export function escalationId(...parts: readonly (string | number)[]): string {
  const raw = parts.map(String).join('-');
  let id = raw.replace(ALLOWED, '_');
  if (!/^[A-Za-z0-9]/.test(id)) id = `e${id}`;
  if (id.length <= MAX) return id;
  return `${id.slice(0, MAX - 9)}-${checksum(raw)}`;
}

/** `run-<runId>-<stageId>-<iteration>`: a stage held for a human (StageEscalated). */
export const stageEscalationId = (runId: string, stageId: string, iteration: number): string => escalationId('run', runId, stageId, iteration);
/** `approval-<runId>-<stageId>-<iteration>`: a stage approval left waiting. */
export const approvalEscalationId = (runId: string, stageId: string, iteration: number): string => escalationId('approval', runId, stageId, iteration);
/** `sla-<runId>-<stageId>-<iteration>`: a stage past its SLA. */
export const slaEscalationId = (runId: string, stageId: string, iteration: number): string => escalationId('sla', runId, stageId, iteration);
/** `sla-<runId>`: a run past its run-level SLA (once per run). */
export const runSlaEscalationId = (runId: string): string => escalationId('sla', runId);
/** `conflict-<conflictId>`. */
export const conflictEscalationId = (conflictId: string): string => escalationId('conflict', conflictId);
/** `task-<taskId>-blocked-<blockedAt ms>`: one per block. */
export const blockedEscalationId = (taskId: string, blockedAt: Date): string => escalationId('task', taskId, 'blocked', blockedAt.getTime());
/** `task-<taskId>-stalled-<n>`: the n-th stall watch of the task. */
export const stalledEscalationId = (taskId: string, n: number): string => escalationId('task', taskId, 'stalled', n);
/** `task-<taskId>-agent-failure-<at ms>`: the holder went offline, or the task failed for good. */
export const agentFailureEscalationId = (taskId: string, at: Date): string => escalationId('task', taskId, 'agent-failure', at.getTime());
/** `task-<taskId>-rejections-<leaseEpoch>`: handoffs refused again and again under one lease. */
export const rejectionsEscalationId = (taskId: string, leaseEpoch: number): string => escalationId('task', taskId, 'rejections', leaseEpoch);
/** `handoff-sla-ack-<taskId>`: a task not accepted within the acknowledgment SLA of the handoff it receives. */
export const handoffAckEscalationId = (taskId: string): string => escalationId('handoff-sla-ack', taskId);
/** `handoff-sla-output-<taskId>`: a task with no first output (progress or completion) within the handoff's first-output SLA. */
export const handoffOutputEscalationId = (taskId: string): string => escalationId('handoff-sla-output', taskId);
/** `manual-<commandId>`: raised by hand without an id (retrying the command finds the same one). */
export const manualEscalationId = (commandId: string): string => escalationId('manual', commandId);
