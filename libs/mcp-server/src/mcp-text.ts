import type { RuleFailure } from '@baton/contracts';
import type { HandoffOutcome } from './agent-session';
import type { TaskContext } from './task-context';

/** Names of the prompts. */
export const PROMPT_TAKE_NEXT_TASK = 'take_next_task';
export const PROMPT_CHECK_HANDOFF = 'check_handoff';

/** One failing rule, as a line an agent can act on. */
export function describeFailure(f: RuleFailure): string {
  const where = [f.specId, f.artifact].filter((x) => x !== null).join(' / ');
  const missing = f.missing.length > 0 ? ` Missing: ${f.missing.join('; ')}.` : '';
  return `- [${f.source}${where ? ` ${where}` : ''}] ${f.rule}: ${f.message}.${missing}`;
}

/**
 * A task's context as Markdown, for the text part of a tool reply and the check prompt: the goal,
 * what to hand over and what it is checked against, the feedback to fix, the inputs.
 */
export function describeContext(c: TaskContext, heading: string): string {
  const lines = [heading, '', `# ${c.goal}`, '', `Task ${c.taskId}, action ${c.action}, priority ${c.priority}, attempt ${c.attempt}${c.runId ? `, run ${c.runId}` : ''}${c.stageId ? `, stage ${c.stageId}` : ''}.`];
  if (c.rework) {
    lines.push('', `## Rework (round ${c.rework.round}): fix these before you hand over again`);
    if (c.rework.note) lines.push(c.rework.note);
    lines.push(...c.rework.failures.map(describeFailure));
  }
  if (c.checks) {
    lines.push('', `## Your handoff is checked against (${c.checks.mode} mode)`);
    for (const s of c.checks.specs) {
      lines.push(`- Spec ${s.id} (${s.from.join(', ')} → ${s.to.join(', ')}): artifacts ${s.artifacts.join(', ') || '(none)'}; context keys ${s.context.join(', ') || '(none)'}`);
    }
    if (c.checks.unknownSpecIds.length > 0) lines.push(`- Specs the validator does not know (the handoff will be refused): ${c.checks.unknownSpecIds.join(', ')}`);
    if (c.checks.declaredOutputs) lines.push(`- Declared outputs (hand these over as artifacts): ${c.checks.declaredOutputs.join(', ')}`);
    if (c.checks.qualityGate.length > 0) lines.push(`- Quality gate (report the values in outputs): ${c.checks.qualityGate.join('; ')}`);
    if (c.checks.criteria.length > 0) lines.push(`- Criteria: ${c.checks.criteria.join('; ')}`);
  } else {
    lines.push('', '## Handoff', 'Nothing is checked on completion: submit_handoff with your artifacts and outputs completes the task.');
  }
  if (c.files.length > 0) lines.push('', `## Files this task declares`, ...c.files.map((f) => `- ${f}`));
  if (c.upstreamArtifacts.length > 0) {
    lines.push('', '## Upstream artifacts (read them as resources)', ...c.upstreamArtifacts.map((a) => `- ${a.stageId}: ${a.name} (${a.mediaType ?? 'unknown type'}) ${a.uri}`));
  }
  lines.push('', '## Inputs', '```json', JSON.stringify(c.inputs, null, 2), '```');
  return lines.join('\n');
}

/** A handoff's verdict as text: accepted, or every failure to fix. */
export function describeHandoffOutcome(o: HandoffOutcome, next: string): string {
  if (o.verdict === null) return `Task ${o.taskId} is ${o.status}. ${next}`;
  const head = `Handoff ${o.verdict.handoffId} ${o.verdict.status} (${o.verdict.rulesChecked} rules checked${o.verdict.specIds.length > 0 ? ` from ${o.verdict.specIds.join(', ')}` : ''}). Task ${o.taskId} is ${o.status}.`;
  return [head, ...o.verdict.failures.map(describeFailure), next, '', JSON.stringify({ accepted: o.accepted, status: o.status, failures: o.verdict.failures })].join('\n');
}

/** The `take_next_task` prompt: the whole loop, from taking a task to an accepted handoff. */
export function takeNextTaskText(agentId: string): string {
  return [
    `You are working as Baton agent "${agentId}".`,
    '1. Call next_task. If task is null, there is nothing to do: stop and say so.',
    '2. Read the task context: the goal, the inputs, the upstream artifacts (read them through their baton://artifacts/... resources), any rework feedback (fix all of it), and the checks your handoff must pass.',
    '3. Before you change files, call reserve_paths with the files or globs you will touch.',
    '4. Work the task. Call report_progress every few steps (percent, a short message, tokens used). If report_progress answers STALE_LEASE, the task is no longer yours: stop.',
    '5. If something outside your control stops you, call report_blocked with the reason (and report_blocked with unblocked: true when you can go on). If you need a decision, call escalate with the options and your recommendation.',
    '6. When the work meets every check, call submit_handoff with the artifacts, the context keys the spec requires, and the outputs the quality gate reads.',
    '7. If the handoff is rejected, the task stays yours: fix every failure in verdict.failures and call submit_handoff again. Repeat until it is accepted.',
    '8. If you cannot do the task, call release_task with the reason.',
  ].join('\n');
}
