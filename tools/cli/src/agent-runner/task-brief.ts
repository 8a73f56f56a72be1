import { z } from 'zod';
import type { UpstreamArtifact } from '@baton/agent-sdk';
import { RuleFailure, TaskChecks, type AgentInboxAssignment } from '@baton/contracts';

/** Where an upstream artifact went: the file written, or why it could not be fetched. */
export type UpstreamFile = UpstreamArtifact & ({ readonly path: string } | { readonly error: string });

/**
 * A file name for an artifact name (`designs/`, `linear_tickets[]`, `src/app.ts`): path segments
 * are kept, anything that could leave the directory (`..`, absolute paths) or trouble a shell is
 * replaced.
 */
export function artifactFileName(name: string): string {
  const segments = name
    .split('/')
    .map((s) => s.replace(/[^A-Za-z0-9._-]/g, '_'))
    .filter((s) => s !== '' && s !== '.' && s !== '..');
  return segments.length === 0 ? 'artifact' : segments.join('/');
}

/** What the brief says besides the assignment. */
export interface BriefContext {
  readonly agentId: string;
  /** Paths the command must write (relative to the working directory, as declared). */
  readonly outputs: readonly string[];
  /** Where the command may write reported values and handoff context (relative to the working directory), if the runner takes them. */
  readonly resultFile?: string;
  readonly upstream: readonly UpstreamFile[];
  /** The directory upstream files are shown relative to (the task's context directory). */
  readonly contextDir: string;
}

const Rework = z.object({ round: z.number().int(), handoffId: z.string(), failures: z.array(RuleFailure) });
const Feedback = z.object({ by: z.object({ kind: z.string(), id: z.string() }), reason: z.string(), findings: z.array(z.unknown()).default([]) });

/** Inputs shown in their own sections rather than in the JSON dump. */
const SECTIONED = new Set(['upstream', 'rework', 'feedback', 'checks']);

function goalOf(task: AgentInboxAssignment): string {
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const i = task.inputs;
  const trigger = typeof i['trigger'] === 'object' && i['trigger'] !== null ? (i['trigger'] as Record<string, unknown>) : {};
  const payload = typeof trigger['payload'] === 'object' && trigger['payload'] !== null ? (trigger['payload'] as Record<string, unknown>) : {};
  const parts = [text(i['goal']) ?? text(i['prompt']) ?? text(i['title']) ?? text(trigger['title']) ?? text(payload['title']), text(i['description']) ?? text(payload['description'])].filter(
    (p): p is string => p !== undefined,
  );
  return parts.length > 0 ? parts.join('\n\n') : `Carry out \`${task.action}\` with the inputs below.`;
}

function fenced(value: unknown): string {
  return ['```json', JSON.stringify(value, null, 2), '```'].join('\n');
}

function reworkSection(task: AgentInboxAssignment): string[] {
  const lines: string[] = [];
  const rework = Rework.safeParse(task.inputs['rework']);
  if (rework.success) {
    lines.push(`Your last handoff (${rework.data.handoffId}, round ${rework.data.round}) was rejected. Fix each of these and hand over again:`, '');
    for (const f of rework.data.failures) {
      const where = [f.specId, f.artifact].filter((s) => s !== null).join(' / ');
      lines.push(`- ${where === '' ? '' : `**${where}**: `}${f.message} (rule: \`${f.rule}\`)`);
      for (const m of f.missing) lines.push(`  - missing: ${m}`);
    }
    lines.push('');
  }
  const feedback = Feedback.safeParse(task.inputs['feedback']);
  if (feedback.success) {
    lines.push(`The work came back from ${feedback.data.by.kind} ${feedback.data.by.id}: ${feedback.data.reason}`);
    if (feedback.data.findings.length > 0) lines.push('', 'Findings:', '', fenced(feedback.data.findings));
    lines.push('');
  }
  return lines;
}

/**
 * The task brief a command-line agent reads (`task.md`): the goal, the inputs, the upstream
 * artifacts (as files next to it), any rework feedback, what the handoff will be checked
 * against, and the files to write.
 *
 * @example
 * renderTaskMd(assignment, { agentId: 'coder-1', outputs: ['src/feature.ts'], upstream: [], contextDir })
 */
export function renderTaskMd(task: AgentInboxAssignment, ctx: BriefContext): string {
  const out: string[] = [`# Task ${task.taskId}: ${task.action}`, ''];
  const where = task.runId === null ? '' : ` · run ${task.runId}${task.stageId === null ? '' : `, stage ${task.stageId}`}`;
  out.push(`Agent ${ctx.agentId} · attempt ${task.attempt} · priority ${task.priority}${where}`, '');
  out.push('## Goal', '', goalOf(task), '');

  const rework = reworkSection(task);
  if (rework.length > 0) out.push('## Rework: what to fix', '', ...rework);

  const inputs = Object.fromEntries(Object.entries(task.inputs).filter(([k]) => !SECTIONED.has(k)));
  if (Object.keys(inputs).length > 0) out.push('## Inputs', '', fenced(inputs), '');

  if (ctx.upstream.length > 0) {
    out.push('## Upstream artifacts', '');
    for (const u of ctx.upstream) {
      out.push('path' in u ? `- \`${u.path}\`: ${u.name} from stage ${u.stageId} (${u.hash})` : `- ${u.name} from stage ${u.stageId} (${u.hash}): could not be fetched (${u.error})`);
    }
    out.push('', `Paths are relative to ${ctx.contextDir}.`, '');
  }

  const checks = TaskChecks.safeParse(task.inputs['checks']);
  if (checks.success) {
    const c = checks.data;
    const lines = [
      ...(c.specIds.length > 0 ? [`- handoff specs: ${c.specIds.join(', ')}`] : []),
      ...(c.declaredOutputs !== null && c.declaredOutputs.length > 0 ? [`- artifacts the stage declares: ${c.declaredOutputs.join(', ')}`] : []),
      ...c.qualityGate.map((g) => `- quality gate: ${g}`),
      ...c.criteria.map((g) => `- criterion: ${g}`),
    ];
    if (lines.length > 0) out.push('## What your handoff will be checked against', '', ...lines, '');
  }

  out.push(...deliverSection(ctx), '');
  return out.join('\n');
}

/** The end of every brief: the files to write and how the command reports back (engine and file-mode tasks alike). */
export function deliverSection(ctx: Pick<BriefContext, 'outputs' | 'resultFile'>): string[] {
  const out: string[] = [];
  out.push('## What to deliver', '');
  if (ctx.outputs.length === 0) out.push('Exit with status 0 when the work is done; a non-zero status fails the task with the end of your stderr.');
  else {
    out.push('Write these files (relative to the working directory), then exit with status 0. They are handed over as the task\'s artifacts; a missing one fails the task.', '');
    for (const o of ctx.outputs) out.push(`- \`${o}\``);
  }
  if (ctx.resultFile !== undefined) {
    out.push(
      '',
      `To report values the checks read (e.g. \`coverage\` for a gate \`coverage >= 80%\`) or the context a handoff spec asks for, write a JSON object to \`${ctx.resultFile}\`: \`{"outputs": {"coverage": 91}, "context": {"priority_level": "P1"}}\` (both optional).`,
    );
  }
  return out;
}
