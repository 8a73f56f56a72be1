import { fileModeError } from './errors';

/**
 * The task file: Markdown in a fixed schema (title, `## Status:`, `## Priority:`, `## Agent:`,
 * `## Created:`, `## Last Updated:`, then Goal, Acceptance Criteria, Definition of Ready,
 * Definition of Done, Files Affected, Implementation Notes, Review Feedback, Error Context and
 * Git Context sections). People and agents edit these files by hand, so the model keeps the
 * text itself: a file is a list of chunks (what comes before the first `## ` heading, then one
 * chunk per `## ` heading with its body), and every change rewrites only the chunk it touches.
 * Sections nobody here knows, comments and spacing survive byte for byte.
 */

export const TASK_STATES = ['pending', 'ready', 'in-progress', 'review', 'done', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TASK_PRIORITIES = ['P0', 'P1', 'P2'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

/** The `## Key: value` headings, in the order a new file has them. */
export const INLINE_FIELDS = ['Status', 'Priority', 'Agent', 'Created', 'Last Updated'] as const;
export type InlineField = (typeof INLINE_FIELDS)[number];

/**
 * The body sections, in the order a new file has them. `Dependencies` is the one addition to
 * the schema: written only for a task that depends on others (a list of task ids).
 */
export const BODY_SECTIONS = [
  'Goal',
  'Acceptance Criteria',
  'Definition of Ready',
  'Definition of Done',
  'Files Affected',
  'Dependencies',
  'Implementation Notes',
  'Review Feedback',
  'Error Context',
  'Git Context',
] as const;
export type BodySection = (typeof BODY_SECTIONS)[number];

const CANONICAL_ORDER: readonly string[] = [...INLINE_FIELDS, ...BODY_SECTIONS];

/** Task ids: what file names and the engine's ids both accept. */
export const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface Chunk {
  /** The heading line with its line ending (`''` for the head chunk). */
  readonly heading: string;
  /** Canonical section name for a known heading, else the heading text. */
  readonly name: string;
  /** The text after `:` on an inline heading. */
  readonly inline: string | undefined;
  /** Everything up to the next `## ` heading, line endings included. */
  readonly body: string;
  /** 1-based line of the heading (or 1 for the head). */
  readonly line: number;
}

/** A parsed task file. Immutable: the update functions return a new one. */
export interface TaskDocument {
  readonly id: string;
  readonly title: string;
  readonly chunks: readonly Chunk[];
}

/** One `- [ ] item` or `- item` line of a list section. */
export interface ListItem {
  readonly text: string;
  /** true/false for a checkbox item, undefined for a plain one. */
  readonly checked: boolean | undefined;
}

/** What the git context section says (`- Branch: x`, `- Commit: y`, `- PR: z`). */
export interface GitContext {
  readonly branch: string | undefined;
  readonly commit: string | undefined;
  readonly pr: string | undefined;
}

/** A task as the commands see it, read from a {@link TaskDocument}. */
export interface TaskSummary {
  readonly id: string;
  readonly title: string;
  readonly status: TaskState;
  readonly priority: TaskPriority;
  readonly agent: string;
  readonly created: string;
  readonly lastUpdated: string;
  readonly goal: string;
  readonly acceptanceCriteria: readonly ListItem[];
  readonly definitionOfReady: readonly ListItem[];
  readonly definitionOfDone: readonly ListItem[];
  readonly filesAffected: readonly string[];
  readonly dependencies: readonly string[];
  readonly implementationNotes: string;
  readonly reviewFeedback: string;
  readonly errorContext: string;
  readonly git: GitContext;
}

const TITLE = /^# Task:[ \t]*([^\s]+)[ \t]+-[ \t]+(.+?)[ \t]*\r?$/m;
const HEADING = /^##[ \t]+(.+?)[ \t]*$/;
const FENCE = /^[ \t]{0,3}(```|~~~)/;

function canonicalName(text: string): { name: string; inline: string | undefined } {
  const colon = text.indexOf(':');
  if (colon > 0) {
    const key = text.slice(0, colon).trim();
    const known = INLINE_FIELDS.find((f) => f.toLowerCase() === key.toLowerCase());
    if (known) return { name: known, inline: text.slice(colon + 1).trim() };
  }
  const body = BODY_SECTIONS.find((s) => s.toLowerCase() === text.trim().toLowerCase());
  return { name: body ?? text.trim(), inline: undefined };
}

function splitLines(text: string): string[] {
  // Keeps each line's ending, so joining the pieces gives the text back exactly.
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** A placeholder body such as `[Clear description of what needs to be done]` counts as empty. */
export function isPlaceholder(text: string): boolean {
  const t = text.trim();
  return t === '' || /^\[[^\]\n]*\]$/.test(t);
}

/**
 * Reads a task file. Throws VALIDATION_FAILED (reason MALFORMED_TASK_FILE) naming each problem
 * with its line: no `# Task: <id> - <title>` line, a missing or unknown status, priority or
 * agent, a section given twice.
 */
export function parseTaskFile(text: string, file = 'task file'): TaskDocument {
  const chunks: Chunk[] = [];
  let heading = '';
  let headingLine = 1;
  let body = '';
  let inFence: string | undefined;
  const lines = splitLines(text);
  const flush = () => {
    const { name, inline } = heading === '' ? { name: '', inline: undefined } : canonicalName(HEADING.exec(heading.replace(/\r?\n$/, ''))![1]!);
    chunks.push({ heading, name, inline, body, line: headingLine });
  };
  lines.forEach((line, i) => {
    const bare = line.replace(/\r?\n$/, '');
    const fence = FENCE.exec(bare)?.[1];
    if (fence !== undefined) {
      if (inFence === undefined) inFence = fence;
      else if (inFence === fence) inFence = undefined;
    }
    if (inFence === undefined && fence === undefined && HEADING.test(bare)) {
      flush();
      heading = line;
      headingLine = i + 1;
      body = '';
    } else {
      body += line;
    }
  });
  flush();

  const problems: string[] = [];
  const head = chunks[0]!.body;
  const title = TITLE.exec(head);
  if (!title) problems.push('line 1: expected a title line "# Task: <id> - <title>"');
  else if (!TASK_ID.test(title[1]!)) problems.push(`line ${lineOf(head, title.index)}: task id "${title[1]}" may use only letters, digits, dot, dash and underscore`);
  const seen = new Map<string, number>();
  for (const c of chunks.slice(1)) {
    if (!CANONICAL_ORDER.includes(c.name)) continue;
    const before = seen.get(c.name);
    if (before !== undefined) problems.push(`line ${c.line}: "## ${c.name}" appears twice (first on line ${before})`);
    else seen.set(c.name, c.line);
  }
  const field = (name: InlineField) => chunks.find((c) => c.name === name);
  const status = field('Status');
  if (!status) problems.push('missing "## Status: <pending|ready|in-progress|review|done|failed>"');
  else if (!(TASK_STATES as readonly string[]).includes(status.inline ?? '')) problems.push(`line ${status.line}: status "${status.inline}" is not one of ${TASK_STATES.join(', ')}`);
  const priority = field('Priority');
  if (!priority) problems.push('missing "## Priority: <P0|P1|P2>"');
  else if (!(TASK_PRIORITIES as readonly string[]).includes((priority.inline ?? '').toUpperCase())) problems.push(`line ${priority.line}: priority "${priority.inline}" is not one of ${TASK_PRIORITIES.join(', ')}`);
  const agent = field('Agent');
  if (!agent) problems.push('missing "## Agent: <name|unassigned>"');
  else if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(agent.inline ?? '')) problems.push(`line ${agent.line}: agent "${agent.inline}" must be one word (letters, digits, dot, dash, underscore)`);
  if (!field('Created')) problems.push('missing "## Created: <timestamp>"');
  if (problems.length > 0) {
    throw fileModeError('VALIDATION_FAILED', 'MALFORMED_TASK_FILE', `${file} is not a valid task file:\n${problems.join('\n')}`, { file, problems });
  }
  return { id: title![1]!, title: title![2]!, chunks };
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The file's text: unchanged chunks exactly as read. */
export function renderTaskFile(doc: TaskDocument): string {
  return doc.chunks.map((c) => c.heading + c.body).join('');
}

function chunk(doc: TaskDocument, name: string): Chunk | undefined {
  return doc.chunks.find((c) => c.name === name);
}

/** The text of a body section without surrounding blank lines ('' when absent or a placeholder). */
export function sectionText(doc: TaskDocument, name: BodySection): string {
  const c = chunk(doc, name);
  return c === undefined || isPlaceholder(c.body) ? '' : c.body.trim();
}

/** The items of a list section (placeholder items like `- [ ] [criterion]` left out). */
export function listItems(doc: TaskDocument, name: BodySection): ListItem[] {
  const out: ListItem[] = [];
  for (const line of sectionText(doc, name).split('\n')) {
    const m = /^\s*[-*+]\s+(?:\[([ xX])\]\s+)?(.*\S)\s*$/.exec(line);
    if (!m || isPlaceholder(m[2]!)) continue;
    out.push({ text: m[2]!, checked: m[1] === undefined ? undefined : m[1].toLowerCase() === 'x' });
  }
  return out;
}

export function inlineValue(doc: TaskDocument, field: InlineField): string | undefined {
  const v = chunk(doc, field)?.inline;
  return v === undefined || isPlaceholder(v) ? undefined : v;
}

export function gitContext(doc: TaskDocument): GitContext {
  const value = (key: string) => {
    const m = new RegExp(`^\\s*[-*]\\s*${key}:[ \\t]*(.*?)\\s*$`, 'mi').exec(chunk(doc, 'Git Context')?.body ?? '');
    return m === null || isPlaceholder(m[1]!) ? undefined : m[1]!;
  };
  return { branch: value('Branch'), commit: value('Commit'), pr: value('PR') };
}

/** Everything the commands read from a file (parsed once, validated by {@link parseTaskFile}). */
export function summarize(doc: TaskDocument): TaskSummary {
  return {
    id: doc.id,
    title: doc.title,
    status: inlineValue(doc, 'Status') as TaskState,
    priority: (inlineValue(doc, 'Priority') ?? 'P1').toUpperCase() as TaskPriority,
    agent: inlineValue(doc, 'Agent') ?? 'unassigned',
    created: inlineValue(doc, 'Created') ?? '',
    lastUpdated: inlineValue(doc, 'Last Updated') ?? inlineValue(doc, 'Created') ?? '',
    goal: sectionText(doc, 'Goal'),
    acceptanceCriteria: listItems(doc, 'Acceptance Criteria'),
    definitionOfReady: listItems(doc, 'Definition of Ready'),
    definitionOfDone: listItems(doc, 'Definition of Done'),
    filesAffected: listItems(doc, 'Files Affected').map((i) => i.text.replace(/^`(.*)`$/, '$1')),
    dependencies: listItems(doc, 'Dependencies').map((i) => i.text.replace(/^`(.*)`$/, '$1')),
    implementationNotes: sectionText(doc, 'Implementation Notes'),
    reviewFeedback: sectionText(doc, 'Review Feedback'),
    errorContext: sectionText(doc, 'Error Context'),
    git: gitContext(doc),
  };
}

function eol(doc: TaskDocument): string {
  return doc.chunks.some((c) => c.heading.endsWith('\r\n')) ? '\r\n' : '\n';
}

/**
 * Replaces the named chunk, or inserts a new one after the nearest known section that comes
 * before it in the schema's order. `make` learns whether the chunk ends the file.
 */
function putChunk(doc: TaskDocument, name: string, make: (old: Chunk | undefined, last: boolean) => Chunk): TaskDocument {
  const chunks = [...doc.chunks];
  const at = chunks.findIndex((c) => c.name === name);
  if (at >= 0) {
    chunks[at] = make(chunks[at], at === chunks.length - 1);
    return { ...doc, chunks };
  }
  const rank = CANONICAL_ORDER.indexOf(name);
  let insertAt = 1;
  for (let i = 1; i < chunks.length; i++) {
    const r = CANONICAL_ORDER.indexOf(chunks[i]!.name);
    if (r >= 0 && r < rank) insertAt = i + 1;
  }
  // A new section starts its own paragraph: the text before it ends in a blank line.
  const prev = chunks[insertAt - 1]!;
  const whole = prev.heading + prev.body;
  const inlinePair = (INLINE_FIELDS as readonly string[]).includes(prev.name) && (INLINE_FIELDS as readonly string[]).includes(name);
  if (!inlinePair && !/\n\r?\n$/.test(whole)) {
    const nl = eol(doc);
    chunks[insertAt - 1] = { ...prev, body: prev.body + (whole.endsWith('\n') ? nl : nl + nl) };
  }
  chunks.splice(insertAt, 0, make(undefined, insertAt === chunks.length));
  return { ...doc, chunks };
}

/** Sets `## <field>: <value>`, keeping the heading's line ending and the body under it. */
export function setInline(doc: TaskDocument, field: InlineField, value: string): TaskDocument {
  const nl = eol(doc);
  return putChunk(doc, field, (old) => ({
    heading: `## ${field}: ${value}${old === undefined ? nl : old.heading.endsWith('\r\n') ? '\r\n' : '\n'}`,
    name: field,
    inline: value,
    body: old?.body ?? nl,
    line: old?.line ?? 0,
  }));
}

/** Replaces a body section's text (the heading stays; a blank line follows unless it ends the file). */
export function setSection(doc: TaskDocument, name: BodySection, text: string): TaskDocument {
  const nl = eol(doc);
  return putChunk(doc, name, (old, last) => ({
    heading: old?.heading ?? `## ${name}${nl}`,
    name,
    inline: undefined,
    body: `${text.replace(/\r?\n/g, nl).replace(/\s+$/, '')}${nl}${last ? '' : nl}`,
    line: old?.line ?? 0,
  }));
}

/**
 * Adds an entry to the end of a body section and keeps what is there: a placeholder is replaced,
 * anything else stays and the entry follows after a blank line. Context only ever grows.
 */
export function appendToSection(doc: TaskDocument, name: BodySection, entry: string): TaskDocument {
  const nl = eol(doc);
  const old = chunk(doc, name);
  const before = old === undefined || isPlaceholder(old.body) ? '' : old.body.replace(/\s+$/, '') + nl + nl;
  return setSection(doc, name, before + entry.replace(/\s+$/, ''));
}

/** Sets one `- Key: value` line of the git context (added when missing), leaving the others. */
export function setGitField(doc: TaskDocument, key: 'Branch' | 'Commit' | 'PR', value: string): TaskDocument {
  const nl = eol(doc);
  const body = chunk(doc, 'Git Context')?.body ?? '';
  const line = new RegExp(`^([ \\t]*[-*][ \\t]*${key}:)[^\\r\\n]*`, 'mi');
  if (line.test(body)) {
    return putChunk(doc, 'Git Context', (old) => ({ ...old!, body: body.replace(line, `$1 ${value}`) }));
  }
  const text = isPlaceholder(body) ? '' : body.replace(/\s+$/, '') + nl;
  return setSection(doc, 'Git Context', `${text}- ${key}: ${value}`);
}

/** A heading for an appended entry: `### <time> · <who> · <what>`. */
export function entryHeading(at: string, who: string, what: string): string {
  return `### ${at} · ${who} · ${what}`;
}

/** What a new task file says. */
export interface NewTask {
  readonly id: string;
  readonly title: string;
  readonly priority: TaskPriority;
  readonly createdAt: string;
  readonly goal?: string | undefined;
  readonly dependencies?: readonly string[] | undefined;
  readonly filesAffected?: readonly string[] | undefined;
}

/** A new task file in `pending`, in the schema's order, with the schema's placeholders. */
export function newTaskFile(task: NewTask): string {
  const deps = task.dependencies ?? [];
  const files = task.filesAffected ?? [];
  return [
    `# Task: ${task.id} - ${task.title}`,
    '',
    '## Status: pending',
    '',
    `## Priority: ${task.priority}`,
    '',
    '## Agent: unassigned',
    '',
    `## Created: ${task.createdAt}`,
    `## Last Updated: ${task.createdAt}`,
    '',
    '## Goal',
    task.goal !== undefined && task.goal.trim() !== '' ? task.goal.trim() : '[Clear description of what needs to be done]',
    '',
    '## Acceptance Criteria',
    '- [ ] [Criterion]',
    '',
    '## Definition of Ready',
    '- [ ] Prerequisites met',
    '- [ ] Context provided',
    '- [ ] Files identified',
    '',
    '## Definition of Done',
    '- [ ] All tests pass',
    '- [ ] Code reviewed',
    '- [ ] Documentation updated',
    '',
    '## Files Affected',
    ...(files.length > 0 ? files.map((f) => `- ${f}`) : ['[Files this task changes, one per line: - src/path/to/file.ts]']),
    '',
    ...(deps.length > 0 ? ['## Dependencies', ...deps.map((d) => `- ${d}`), ''] : []),
    '## Implementation Notes',
    '[Any specific implementation guidance]',
    '',
    '## Review Feedback',
    '[Feedback from reviewers goes here]',
    '',
    '## Error Context',
    '[Test failures, debugging info, error messages]',
    '',
    '## Git Context',
    '- Branch: [branch-name]',
    '- Commit: [commit-hash]',
    '- PR: [pr-number]',
    '',
  ].join('\n');
}

/** `- [ ] item` lines for a checklist section. */
export function checklist(items: readonly string[]): string {
  return items.map((i) => (/^\[[ xX]\]\s/.test(i) ? `- ${i}` : `- [ ] ${i}`)).join('\n');
}

/** `- item` lines for a plain list section. */
export function plainList(items: readonly string[]): string {
  return items.map((i) => `- ${i}`).join('\n');
}
