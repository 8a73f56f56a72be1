import { z } from 'zod';
import { between, type Random } from './random';
import { parseYamlFile, readInputFile } from './yaml-file';

/** Outputs to return per action, from `--outputs`: `triage: {outcome: P1}`. */
export type OutputsByAction = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

const OutputsFile = z.record(z.string().min(1), z.record(z.string().min(1), z.unknown()));

/** Parses an outputs file: a map from action to the outputs its tasks return. */
export function parseOutputsFile(text: string, file: string): OutputsByAction {
  return parseYamlFile(text, file, OutputsFile, ': expected a map of action to outputs (e.g. "triage: {outcome: P1}")');
}

export async function loadOutputsFile(file: string): Promise<OutputsByAction> {
  return parseOutputsFile(await readInputFile(file), file);
}

/** Input keys under which a task may declare the outputs its stage produces (a string list). */
const DECLARED_OUTPUT_KEYS = ['outputs', 'expectedOutputs', 'expected_outputs', 'declaredOutputs'] as const;

/**
 * The output names a task declares in its inputs (`inputs.outputs: [prd, user_stories]` and the
 * like). Without any, an action `write_<x>` / `create_<x>` yields `<x>.md`, any other `summary`.
 */
export function declaredOutputs(action: string, inputs: Readonly<Record<string, unknown>>): string[] {
  for (const key of DECLARED_OUTPUT_KEYS) {
    const v = inputs[key];
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')) return [...new Set(v as string[])];
  }
  const m = /^(?:write|create|draft)_(.+)$/.exec(action);
  return [m ? `${m[1]}.md` : 'summary'];
}

function title(name: string): string {
  const base = name.replace(/\.[a-z0-9]+$/i, '').replace(/[_-]+/g, ' ').trim();
  return base.length <= 3 ? base.toUpperCase() : base.charAt(0).toUpperCase() + base.slice(1);
}

/** A plausible value for an output called `name`: a document, a flag, a number, a URL, a list or a line of text. */
export function plausibleValue(name: string, who: { agentId: string; taskId: string; action: string }, random: Random): unknown {
  const n = name.toLowerCase();
  if (/\.(md|markdown)$/.test(n)) return `# ${title(name)}\n\nDrafted by ${who.agentId} for task ${who.taskId} (${who.action}).\n\n## Summary\n\nSimulated content.\n`;
  if (/\.json$/.test(n)) return { name, generatedBy: who.agentId, taskId: who.taskId };
  if (/\.(ya?ml)$/.test(n)) return `# ${title(name)}\ngenerated_by: ${who.agentId}\ntask: ${who.taskId}\n`;
  if (/(^|_)url$/.test(n)) return `https://example.com/${encodeURIComponent(who.agentId)}/${encodeURIComponent(who.taskId)}/${encodeURIComponent(name)}`;
  if (/^(is|has)_|(^|_)(pass|passes|passed|compiles|approved|ok)$/.test(n)) return true;
  if (/(^|_)(coverage|score|percent)$/.test(n)) return between(random, 80, 95);
  if (/(^|_)(rate)$/.test(n)) return Math.round(random() * 100) / 1000;
  if (/(^|_)(count|bugs|errors)$/.test(n)) return 0;
  if (/^(outcome|status|result)$/.test(n)) return 'success';
  if (/^(classification|severity|priority)$/.test(n)) return 'P2';
  if (/[a-z]s$/.test(n) && !/(ss|us|is)$/.test(n)) return [`${title(name)} 1 (${who.agentId})`, `${title(name)} 2 (${who.agentId})`];
  return `${title(name)} by ${who.agentId} for ${who.taskId}`;
}

/**
 * The outputs a simulated task returns: the configured ones for its action when `--outputs` has
 * them, otherwise a plausible value for each declared output name.
 */
export function outputsFor(
  task: { readonly taskId: string; readonly action: string; readonly inputs: Readonly<Record<string, unknown>> },
  agentId: string,
  configured: OutputsByAction,
  random: Random,
): Record<string, unknown> {
  const fixed = Object.hasOwn(configured, task.action) ? configured[task.action] : undefined;
  if (fixed) return { ...fixed };
  const who = { agentId, taskId: task.taskId, action: task.action };
  return Object.fromEntries(declaredOutputs(task.action, task.inputs).map((name) => [name, plausibleValue(name, who, random)]));
}
