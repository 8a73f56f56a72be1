import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileModeError, translateFsError } from './errors';
import {
  appendToSection,
  checklist,
  entryHeading,
  newTaskFile,
  parseTaskFile,
  plainList,
  setInline,
  setSection,
  summarize,
  TASK_ID,
  TASK_PRIORITIES,
  type BodySection,
  type TaskDocument,
  type TaskPriority,
  type TaskState,
  type TaskSummary,
} from './task-file';
import { FEEDBACK_DIR, MCP_DIR, type StoredTask, type TaskStore, type UnreadableTask } from './task-store';

/**
 * The handoffs of the file mode: create → prep → claim → review → complete, with feedback and
 * failing tests sending a task back to `ready/`. Each command reads the task, checks the move is
 * allowed, writes the new text and moves the file in one step (see {@link TaskStore.move}); a
 * refusal is a coded error and leaves every file as it was.
 */
export interface HandoffContext {
  readonly store: TaskStore;
  readonly now: () => Date;
}

/** ISO time to the second, as the files show it. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A dated entry in a section of a task file: `### <at> · <by> · <what>`, then its body (if any) below. */
export interface TaskFileEntry {
  readonly at: Date;
  readonly by: string;
  readonly what: string;
  readonly body?: string | undefined;
}

/** Adds `entry` after what `section` already holds; with no (or an empty) body, just its heading. */
export function appendEntry(doc: TaskDocument, section: BodySection, entry: TaskFileEntry): TaskDocument {
  const heading = entryHeading(stamp(entry.at), entry.by, entry.what);
  return appendToSection(doc, section, entry.body === undefined || entry.body === '' ? heading : `${heading}\n${entry.body}`);
}

/** Adds a command's optional note (`--notes`) as an entry, trimmed; a missing or blank note adds nothing. */
export function appendNote(doc: TaskDocument, section: BodySection, entry: TaskFileEntry): TaskDocument {
  const body = entry.body?.trim();
  return body ? appendEntry(doc, section, { ...entry, body }) : doc;
}

const PRIORITY_RANK: Record<TaskPriority, number> = { P0: 0, P1: 1, P2: 2 };

function requireState(stored: StoredTask, allowed: readonly TaskState[], doing: string): void {
  if (!allowed.includes(stored.state)) {
    throw fileModeError(
      'ILLEGAL_TRANSITION',
      'WRONG_STATE',
      `cannot ${doing} task ${stored.task.id}: it is in ${stored.state}/, and ${doing} takes a task from ${allowed.map((s) => `${s}/`).join(' or ')}`,
      { id: stored.task.id, state: stored.state, allowed },
    );
  }
}

function requireName(value: string | undefined, what: string): string {
  const v = value?.trim() ?? '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v)) {
    throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', `${what} must be one word (letters, digits, dot, dash, underscore), got "${value ?? ''}"`, { what });
  }
  return v;
}

function requireText(value: string | undefined, what: string): string {
  const v = value?.trim() ?? '';
  if (v === '') throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', `${what} must not be empty`, { what });
  return v;
}

function touch(doc: TaskDocument, state: TaskState, at: Date): TaskDocument {
  return setInline(setInline(doc, 'Status', state), 'Last Updated', stamp(at));
}

async function logHandoff(ctx: HandoffContext, line: string): Promise<void> {
  // The handoff log is for debugging; the task file itself already says everything.
  await appendFile(path.join(ctx.store.root, MCP_DIR, 'handoffs.log'), `${stamp(ctx.now())} ${line}\n`).catch(() => undefined);
}

async function transition(
  ctx: HandoffContext,
  stored: StoredTask,
  to: TaskState,
  update: (doc: TaskDocument) => TaskDocument,
  who: string,
): Promise<{ task: TaskSummary; path: string }> {
  const doc = touch(update(stored.doc), to, ctx.now());
  const file = await ctx.store.save(stored, to, doc);
  await logHandoff(ctx, `${stored.task.id} ${stored.state} -> ${to} by ${who}`);
  return { task: { ...summarize(doc), status: to }, path: file };
}

/**
 * A {@link transition} that says why in the task file: one entry (by, what, body; dated now) added
 * to `section`. `append` is {@link appendNote} for an optional note, which adds nothing when blank.
 */
function transitionWithEntry(
  ctx: HandoffContext,
  stored: StoredTask,
  to: TaskState,
  section: BodySection,
  entry: Omit<TaskFileEntry, 'at'>,
  append: typeof appendEntry = appendEntry,
): Promise<{ task: TaskSummary; path: string }> {
  return transition(ctx, stored, to, (doc) => append(doc, section, { at: ctx.now(), ...entry }), entry.by);
}

/** Ids are TASK-001, TASK-002, …: one more than the highest TASK-n anywhere in the store. */
async function nextId(store: TaskStore): Promise<number> {
  const { tasks, unreadable } = await store.list();
  const ids = [...tasks.map((t) => t.task.id), ...unreadable.map((u) => path.basename(u.path, '.md'))];
  return ids.reduce((max, id) => Math.max(max, Number(/^TASK-(\d+)$/.exec(id)?.[1] ?? 0)), 0) + 1;
}

export interface CreateOptions {
  readonly title: string;
  readonly priority?: string | undefined;
  readonly goal?: string | undefined;
  readonly id?: string | undefined;
  readonly dependsOn?: readonly string[] | undefined;
  readonly files?: readonly string[] | undefined;
}

export function parsePriority(value: string | undefined): TaskPriority {
  const p = (value ?? 'P1').trim().toUpperCase();
  if (!(TASK_PRIORITIES as readonly string[]).includes(p)) {
    throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', `priority must be one of ${TASK_PRIORITIES.join(', ')}, got "${value}"`, { priority: value });
  }
  return p as TaskPriority;
}

function requireIds(ids: readonly string[] | undefined): string[] {
  for (const id of ids ?? []) if (!TASK_ID.test(id)) throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', `"${id}" is not a task id`, { id });
  return [...(ids ?? [])];
}

/** `create`: a task stub in `pending/`. Returns its id. */
export async function createTask(ctx: HandoffContext, options: CreateOptions): Promise<{ task: TaskSummary; path: string }> {
  const title = requireText(options.title, 'the title').replace(/\s+/g, ' ');
  const priority = parsePriority(options.priority);
  const dependsOn = requireIds(options.dependsOn);
  const build = (id: string) =>
    newTaskFile({ id, title, priority, createdAt: stamp(ctx.now()), goal: options.goal, dependencies: dependsOn, filesAffected: options.files });
  if (options.id !== undefined) {
    const id = requireIds([options.id])[0]!;
    await ctx.store.get(id).then(
      () => {
        throw fileModeError('CONFLICT', 'DUPLICATE_TASK', `task ${id} already exists`, { id });
      },
      (err: unknown) => {
        if ((err as { code?: unknown }).code !== 'NOT_FOUND') throw err;
      },
    );
    const text = build(id);
    const file = await ctx.store.create('pending', id, text);
    await logHandoff(ctx, `${id} created in pending`);
    return { task: { ...summarize(parseTaskFile(text)), status: 'pending' }, path: file };
  }
  // Two people creating at once may pick the same number: the exclusive create decides, the other takes the next.
  let n = await nextId(ctx.store);
  for (let attempt = 0; ; attempt++, n++) {
    const id = `TASK-${String(n).padStart(3, '0')}`;
    try {
      const text = build(id);
      const file = await ctx.store.create('pending', id, text);
      await logHandoff(ctx, `${id} created in pending`);
      return { task: { ...summarize(parseTaskFile(text)), status: 'pending' }, path: file };
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'CONFLICT' || attempt >= 50) throw err;
    }
  }
}

export interface PrepOptions {
  readonly by?: string | undefined;
  readonly goal?: string | undefined;
  readonly criteria?: readonly string[] | undefined;
  readonly ready?: readonly string[] | undefined;
  readonly done?: readonly string[] | undefined;
  readonly files?: readonly string[] | undefined;
  readonly dependsOn?: readonly string[] | undefined;
  readonly notes?: string | undefined;
  readonly priority?: string | undefined;
}

/**
 * `prep`: fleshes out a stub and moves it to `ready/`. What the options give replaces the
 * section; what they leave out must already be in the file (written by hand). A task needs a
 * goal, at least one acceptance criterion, a Definition of Ready, a Definition of Done and the
 * files it affects; otherwise VALIDATION_FAILED (NOT_READY) lists what is missing.
 */
export async function prepTask(ctx: HandoffContext, id: string, options: PrepOptions): Promise<{ task: TaskSummary; path: string }> {
  const stored = await ctx.store.get(id);
  requireState(stored, ['pending'], 'prep');
  const by = requireName(options.by ?? 'unassigned', 'the preparing agent');
  let doc = stored.doc;
  const put = (section: BodySection, text: string | undefined) => {
    if (text !== undefined && text.trim() !== '') doc = setSection(doc, section, text);
  };
  put('Goal', options.goal);
  if (options.criteria?.length) put('Acceptance Criteria', checklist(options.criteria));
  if (options.ready?.length) put('Definition of Ready', checklist(options.ready));
  if (options.done?.length) put('Definition of Done', checklist(options.done));
  if (options.files?.length) put('Files Affected', plainList(options.files));
  if (options.dependsOn?.length) put('Dependencies', plainList(requireIds(options.dependsOn)));
  if (options.priority !== undefined) doc = setInline(doc, 'Priority', parsePriority(options.priority));
  doc = appendNote(doc, 'Implementation Notes', { at: ctx.now(), by, what: 'prepared', body: options.notes });
  const s = summarize(doc);
  const missing = [
    s.goal === '' ? 'Goal' : undefined,
    s.acceptanceCriteria.length === 0 ? 'Acceptance Criteria (at least one item)' : undefined,
    s.definitionOfReady.length === 0 ? 'Definition of Ready' : undefined,
    s.definitionOfDone.length === 0 ? 'Definition of Done' : undefined,
    s.filesAffected.length === 0 ? 'Files Affected' : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) {
    throw fileModeError('VALIDATION_FAILED', 'NOT_READY', `task ${id} is not ready: fill in ${missing.join(', ')} (edit ${ctx.store.relative(stored.path)} or pass the options)`, { id, missing });
  }
  return transition(ctx, stored, 'ready', () => doc, by);
}

/** The ids among `dependencies` whose task is not in `done/` (a missing task counts as not done). */
export function unmetDependencies(task: TaskSummary, all: readonly StoredTask[]): string[] {
  const done = new Set(all.filter((t) => t.state === 'done').map((t) => t.task.id));
  return task.dependencies.filter((d) => !done.has(d));
}

/**
 * `claim`: an agent takes a ready task (`in-progress/`, Agent set). Two claims at once: one wins,
 * the other gets CONFLICT (ALREADY_CLAIMED). A dependency not in `done/` → CONFLICT
 * (DEPENDENCIES_NOT_DONE). Without an id, the agent's {@link nextTask}.
 */
export async function claimTask(ctx: HandoffContext, id: string | undefined, agentName: string, notes?: string): Promise<{ task: TaskSummary; path: string }> {
  const agent = requireName(agentName, 'the agent');
  if (agent === 'unassigned') throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', 'name the agent that claims the task (--agent)', {});
  let taskId = id;
  if (taskId === undefined) {
    const next = await nextTask(ctx, agent, 'implement');
    if (next === undefined) throw fileModeError('NOT_FOUND', 'TASK_NOT_FOUND', `nothing in ready/ that ${agent} can take now`, { agent });
    taskId = next.task.id;
  }
  const stored = await ctx.store.get(taskId);
  if (stored.state === 'in-progress' || stored.state === 'review' || stored.state === 'done') {
    throw fileModeError('CONFLICT', 'ALREADY_CLAIMED', `task ${taskId} was already claimed by ${stored.task.agent} (it is in ${stored.state}/); nothing was changed`, {
      id: taskId,
      state: stored.state,
      agent: stored.task.agent,
    });
  }
  requireState(stored, ['ready'], 'claim');
  const { tasks } = await ctx.store.list();
  const unmet = unmetDependencies(stored.task, tasks);
  if (unmet.length > 0) {
    throw fileModeError('CONFLICT', 'DEPENDENCIES_NOT_DONE', `task ${taskId} depends on ${unmet.join(', ')}, which ${unmet.length === 1 ? 'is' : 'are'} not done yet; nothing was changed`, {
      id: taskId,
      waitingFor: unmet,
    });
  }
  return transition(
    ctx,
    stored,
    'in-progress',
    (doc) => {
      const claimed = setInline(doc, 'Agent', agent);
      return appendNote(claimed, 'Implementation Notes', { at: ctx.now(), by: agent, what: 'claimed', body: notes });
    },
    agent,
  );
}

/** `review`: the implementer hands the task to review (`review/`), with what it did in the notes. */
export async function requestReview(ctx: HandoffContext, id: string, options: { by?: string | undefined; notes?: string | undefined }): Promise<{ task: TaskSummary; path: string }> {
  const stored = await ctx.store.get(id);
  requireState(stored, ['in-progress'], 'send to review');
  const by = requireName(options.by ?? stored.task.agent, 'the agent');
  return transitionWithEntry(ctx, stored, 'review', 'Implementation Notes', { by, what: 'ready for review', body: options.notes }, appendNote);
}

function feedbackStamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

/** Writes `.mcp/feedback/<id>-<time>-<kind>.md` and returns its path relative to the repository. */
export async function writeFeedbackFile(ctx: HandoffContext, task: TaskSummary, kind: string, from: string, body: string): Promise<string> {
  const dir = path.join(ctx.store.root, FEEDBACK_DIR);
  const file = path.join(dir, `${task.id}-${feedbackStamp(ctx.now())}-${kind}.md`);
  const text = [`# Feedback: ${task.id} - ${task.title}`, '', `- Kind: ${kind}`, `- From: ${from}`, `- At: ${stamp(ctx.now())}`, `- Task: ${task.id} (its file is under .mcp/tasks/<state>/${task.id}.md)`, '', body.trim(), ''].join('\n');
  try {
    await mkdir(dir, { recursive: true });
    await ctx.store.createFile(file, text);
  } catch (err) {
    translateFsError(err, ctx.store.relative(dir), 'write the feedback file');
  }
  return ctx.store.relative(file);
}

/**
 * `feedback`: a reviewer's findings. They are added to Review Feedback and written to a feedback
 * file; a task in `review/` goes back to `ready/` for its implementer (Agent stays, so `next`
 * offers it to them first). On a task in progress, the feedback is only recorded.
 */
export async function giveFeedback(ctx: HandoffContext, id: string, options: { from: string; message: string }): Promise<{ task: TaskSummary; path: string; feedbackFile: string }> {
  const from = requireName(options.from, 'the reviewer (--from)');
  const message = requireText(options.message, 'the feedback (--message or --file)');
  const stored = await ctx.store.get(id);
  requireState(stored, ['review', 'in-progress'], 'give feedback on');
  const to: TaskState = stored.state === 'review' ? 'ready' : 'in-progress';
  const round = (stored.task.reviewFeedback.match(/· changes requested/g)?.length ?? 0) + 1;
  const what = `changes requested (round ${round})`;
  // Writing the file before the move: if the move then fails, a stray feedback file is the only trace.
  const feedbackFile = await writeFeedbackFile(ctx, stored.task, 'review', from, `## Review Feedback\n${message}`);
  const result = await transitionWithEntry(ctx, stored, to, 'Review Feedback', { by: from, what, body: `${message}\n\n(feedback file: ${feedbackFile})` });
  return { ...result, feedbackFile };
}

/** `complete`: the reviewer accepts the task (`done/`); an optional note goes to Review Feedback. */
export async function completeTask(ctx: HandoffContext, id: string, options: { by?: string | undefined; notes?: string | undefined }): Promise<{ task: TaskSummary; path: string }> {
  const stored = await ctx.store.get(id);
  requireState(stored, ['review'], 'complete');
  const by = requireName(options.by ?? 'unassigned', 'the reviewer (--by)');
  return transitionWithEntry(ctx, stored, 'done', 'Review Feedback', { by, what: 'approved', body: options.notes }, appendNote);
}

/** `fail`: gives up on a task (`failed/`) with the reason in Error Context: the manual escalation path. */
export async function failTask(ctx: HandoffContext, id: string, options: { by?: string | undefined; reason: string }): Promise<{ task: TaskSummary; path: string }> {
  const reason = requireText(options.reason, 'the reason (--reason)');
  const stored = await ctx.store.get(id);
  requireState(stored, ['pending', 'ready', 'in-progress', 'review'], 'fail');
  const by = requireName(options.by ?? (stored.task.agent === 'unassigned' ? 'unassigned' : stored.task.agent), 'the agent');
  return transitionWithEntry(ctx, stored, 'failed', 'Error Context', { by, what: 'failed', body: reason });
}

/** `reopen`: a failed (or done) task goes back to `ready/`, everything it collected kept. */
export async function reopenTask(ctx: HandoffContext, id: string, options: { by?: string | undefined; reason: string }): Promise<{ task: TaskSummary; path: string }> {
  const reason = requireText(options.reason, 'the reason (--reason)');
  const stored = await ctx.store.get(id);
  requireState(stored, ['failed', 'done'], 'reopen');
  const by = requireName(options.by ?? 'unassigned', 'who reopens it (--by)');
  return transitionWithEntry(ctx, stored, 'ready', 'Implementation Notes', { by, what: `reopened from ${stored.state}`, body: reason });
}

/** What a failing test run leaves behind. */
export interface TestFailure {
  readonly command: string;
  readonly exitCode: number | null;
  readonly failingTests: readonly string[];
  /** The last lines of the output. */
  readonly output: string;
}

/**
 * A failing test run on a task in progress or in review: a feedback file with the failing tests
 * and the output, an Error Context entry pointing at it, and the task back in `ready/` for its
 * implementer.
 */
export async function recordTestFailure(ctx: HandoffContext, id: string, failure: TestFailure): Promise<{ task: TaskSummary; path: string; feedbackFile: string }> {
  const stored = await ctx.store.get(id);
  requireState(stored, ['in-progress', 'review'], 'record failing tests on');
  const tests = failure.failingTests.length > 0 ? failure.failingTests.map((t) => `- ${t}`).join('\n') : '- (no test names recognised in the output; see the output below)';
  const fence = '```';
  const body = [`## Failing tests`, tests, '', `## Command`, `${fence}sh\n${failure.command}\n${fence}`, `Exit code: ${failure.exitCode ?? 'killed by a signal'}`, '', '## Output (last lines)', `${fence}text\n${failure.output.replace(/```/g, "'''")}\n${fence}`].join('\n');
  const feedbackFile = await writeFeedbackFile(ctx, stored.task, 'test-failure', 'test-runner', body);
  const result = await transitionWithEntry(ctx, stored, 'ready', 'Error Context', {
    by: 'test-runner',
    what: `tests failed (exit ${failure.exitCode ?? 'signal'})`,
    body: [`Command: \`${failure.command}\``, 'Failing tests:', tests, `Output: ${feedbackFile}`].join('\n'),
  });
  return { ...result, feedbackFile };
}

/** A passing test run: recorded in the notes, the task stays where it is. */
export async function recordTestPass(ctx: HandoffContext, id: string, command: string): Promise<{ task: TaskSummary; path: string }> {
  const stored = await ctx.store.get(id);
  return transitionWithEntry(ctx, stored, stored.state, 'Implementation Notes', { by: 'test-runner', what: 'tests passed', body: `Command: \`${command}\`` });
}

export type NextMode = 'implement' | 'prep' | 'review';

function byPriority(agent: string) {
  return (a: StoredTask, b: StoredTask): number =>
    PRIORITY_RANK[a.task.priority] - PRIORITY_RANK[b.task.priority] ||
    Number(b.task.agent === agent) - Number(a.task.agent === agent) ||
    a.task.created.localeCompare(b.task.created) ||
    a.task.id.localeCompare(b.task.id);
}

/**
 * `next`: what an agent should work on now. `implement` (default): a task in `ready/` that is
 * unassigned or handed back to this agent, whose dependencies are done; P0 before P1 before P2,
 * then work sent back to this agent, then the oldest. `prep`: the oldest most urgent stub in
 * `pending/`. `review`: a task in `review/` someone else implemented.
 */
export async function nextTask(ctx: HandoffContext, agentName: string, mode: NextMode = 'implement'): Promise<StoredTask | undefined> {
  const agent = requireName(agentName, 'the agent');
  const { tasks } = await ctx.store.list();
  const candidates = tasks.filter((t) => {
    if (mode === 'prep') return t.state === 'pending';
    if (mode === 'review') return t.state === 'review' && t.task.agent !== agent;
    return t.state === 'ready' && (t.task.agent === 'unassigned' || t.task.agent === agent) && unmetDependencies(t.task, tasks).length === 0;
  });
  return candidates.sort(byPriority(agent))[0];
}

export interface StatusReport {
  readonly counts: Record<TaskState, number>;
  readonly tasks: readonly (TaskSummary & { readonly path: string; readonly waitingFor: readonly string[] })[];
  readonly unreadable: readonly UnreadableTask[];
}

/** `status`: every task by state, with the dependencies each ready task still waits for. */
export async function statusReport(ctx: HandoffContext): Promise<StatusReport> {
  const { tasks, unreadable } = await ctx.store.list();
  const counts = { pending: 0, ready: 0, 'in-progress': 0, review: 0, done: 0, failed: 0 } as Record<TaskState, number>;
  for (const t of tasks) counts[t.state]++;
  return {
    counts,
    tasks: tasks.map((t) => ({ ...t.task, path: ctx.store.relative(t.path), waitingFor: t.state === 'done' || t.state === 'failed' ? [] : unmetDependencies(t.task, tasks) })),
    unreadable: unreadable.map((u) => ({ ...u, path: ctx.store.relative(u.path) })),
  };
}

/** The agent a task in progress belongs to; FORBIDDEN (NOT_YOURS) for anyone else, so one agent cannot write into another's task. */
function requireHolder(stored: StoredTask, agent: string, doing: string): void {
  requireState(stored, ['in-progress'], doing);
  if (stored.task.agent !== agent) {
    throw fileModeError('FORBIDDEN', 'NOT_YOURS', `cannot ${doing} task ${stored.task.id}: ${stored.task.agent} works it, not ${agent}; nothing was changed`, { id: stored.task.id, agent: stored.task.agent });
  }
}

/**
 * A note on a task its agent works (progress, a block, the block's end): an entry in
 * Implementation Notes, or in Error Context for what stops the work. The task stays in progress.
 */
export async function addNote(
  ctx: HandoffContext,
  id: string,
  options: { by: string; what: string; text?: string | undefined; section?: 'Implementation Notes' | 'Error Context' },
): Promise<{ task: TaskSummary; path: string }> {
  const by = requireName(options.by, 'the agent');
  const what = requireText(options.what, 'what the note is').replace(/\s+/g, ' ');
  const stored = await ctx.store.get(id);
  requireHolder(stored, by, 'add a note to');
  return transitionWithEntry(ctx, stored, 'in-progress', options.section ?? 'Implementation Notes', { by, what, body: options.text?.trim() });
}

/**
 * `release`: the agent gives a task in progress back (`ready/`, Agent unassigned, the reason in
 * Implementation Notes), so any agent may take it.
 */
export async function releaseTask(ctx: HandoffContext, id: string, options: { by: string; reason: string }): Promise<{ task: TaskSummary; path: string }> {
  const by = requireName(options.by, 'the agent');
  const reason = requireText(options.reason, 'the reason');
  const stored = await ctx.store.get(id);
  requireHolder(stored, by, 'release');
  return transition(ctx, stored, 'ready', (doc) => setInline(appendEntry(doc, 'Implementation Notes', { at: ctx.now(), by, what: 'released', body: reason }), 'Agent', 'unassigned'), by);
}

/** The task `agent` works: in progress and theirs, else the coded refusal (WRONG_STATE, NOT_YOURS). */
export async function heldTask(ctx: HandoffContext, id: string, agentName: string, doing: string): Promise<StoredTask> {
  const agent = requireName(agentName, 'the agent');
  const stored = await ctx.store.get(id);
  requireHolder(stored, agent, doing);
  return stored;
}
