import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileModeError, translateFsError } from './errors';
import { parseTaskFile, renderTaskFile, summarize, TASK_ID, TASK_STATES, type TaskDocument, type TaskState, type TaskSummary } from './task-file';

/** Where the file mode keeps its state, relative to the repository root. */
export const MCP_DIR = '.mcp';
export const TASKS_DIR = path.join(MCP_DIR, 'tasks');
export const FEEDBACK_DIR = path.join(MCP_DIR, 'feedback');

/** One task file as found on disk: its directory is its state. */
export interface StoredTask {
  readonly state: TaskState;
  readonly path: string;
  readonly text: string;
  readonly doc: TaskDocument;
  readonly task: TaskSummary;
}

/** A file in a state directory that could not be read as a task (listed, never touched). */
export interface UnreadableTask {
  readonly state: TaskState;
  readonly path: string;
  readonly problem: string;
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/**
 * The repository root the file mode works in: the nearest directory at or above `cwd` that has
 * `.mcp/tasks`. NOT_FOUND (NO_TASK_DIRECTORY) when there is none.
 */
export async function findRepositoryRoot(cwd: string): Promise<string> {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (await isDirectory(path.join(dir, TASKS_DIR))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw fileModeError('NOT_FOUND', 'NO_TASK_DIRECTORY', `no ${TASKS_DIR} directory in ${cwd} or above; create one with: baton-files init`, { cwd });
}

const tmpName = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);

/** Writes a file through a temporary file and a rename, so a reader sees the old text or the new, never half. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = tmpName(file);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
  } catch (err) {
    translateFsError(err, path.dirname(file), `write ${path.basename(file)}`);
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    translateFsError(err, file, `replace ${path.basename(file)}`);
  }
}

/**
 * The `.mcp/tasks/{pending,ready,in-progress,review,done,failed}` directories of one repository.
 * The directory a file sits in is the task's state; a move is one rename, so two agents moving
 * the same file at once cannot both succeed.
 */
export class TaskStore {
  readonly tasksDir: string;

  constructor(readonly root: string) {
    this.tasksDir = path.join(root, TASKS_DIR);
  }

  /** Opens the store of the repository at or above `cwd` and checks that every state directory exists. */
  static async open(cwd: string): Promise<TaskStore> {
    const store = new TaskStore(await findRepositoryRoot(cwd));
    await store.checkLayout();
    return store;
  }

  /** Creates the directories (and keeps what is there). */
  static async init(root: string): Promise<TaskStore> {
    const store = new TaskStore(root);
    for (const state of TASK_STATES) {
      try {
        await mkdir(store.dirOf(state), { recursive: true });
      } catch (err) {
        translateFsError(err, store.dirOf(state), 'create the task directories');
      }
    }
    return store;
  }

  dirOf(state: TaskState): string {
    return path.join(this.tasksDir, state);
  }

  pathOf(state: TaskState, id: string): string {
    return path.join(this.dirOf(state), `${id}.md`);
  }

  /** Relative to the repository root, for messages and git. */
  relative(p: string): string {
    return path.relative(this.root, p).split(path.sep).join('/');
  }

  async checkLayout(): Promise<void> {
    const missing: string[] = [];
    for (const state of TASK_STATES) if (!(await isDirectory(this.dirOf(state)))) missing.push(this.relative(this.dirOf(state)));
    if (missing.length > 0) {
      throw fileModeError('NOT_FOUND', 'MISSING_STATE_DIRECTORY', `missing task ${missing.length === 1 ? 'directory' : 'directories'} ${missing.join(', ')}; create ${missing.length === 1 ? 'it' : 'them'} with: baton-files init`, { missing });
    }
  }

  /** Every task file, by state; files that do not parse are reported apart and left alone. */
  async list(): Promise<{ tasks: StoredTask[]; unreadable: UnreadableTask[] }> {
    const tasks: StoredTask[] = [];
    const unreadable: UnreadableTask[] = [];
    for (const state of TASK_STATES) {
      for (const name of (await readdir(this.dirOf(state))).sort()) {
        if (!name.endsWith('.md') || name.startsWith('.')) continue;
        const file = path.join(this.dirOf(state), name);
        try {
          tasks.push(await this.read(state, file));
        } catch (err) {
          unreadable.push({ state, path: file, problem: (err as Error).message });
        }
      }
    }
    return { tasks, unreadable };
  }

  private async read(state: TaskState, file: string): Promise<StoredTask> {
    const text = await readFile(file, 'utf8');
    const doc = parseTaskFile(text, this.relative(file));
    const expected = path.basename(file, '.md');
    if (doc.id !== expected) {
      throw fileModeError('VALIDATION_FAILED', 'MALFORMED_TASK_FILE', `${this.relative(file)}: the title names task "${doc.id}" but the file is ${expected}.md`, { file: this.relative(file) });
    }
    // The directory is the state; a `## Status:` line that disagrees is corrected on the next write.
    return { state, path: file, text, doc, task: { ...summarize(doc), status: state } };
  }

  /** The task with this id wherever it is: NOT_FOUND when nowhere, CONFLICT when in two directories. */
  async get(id: string): Promise<StoredTask> {
    if (!TASK_ID.test(id)) throw fileModeError('VALIDATION_FAILED', 'BAD_ARGUMENT', `"${id}" is not a task id (letters, digits, dot, dash, underscore)`, { id });
    const found: TaskState[] = [];
    for (const state of TASK_STATES) if (await stat(this.pathOf(state, id)).then(() => true, () => false)) found.push(state);
    if (found.length === 0) throw fileModeError('NOT_FOUND', 'TASK_NOT_FOUND', `no task ${id} in ${this.relative(this.tasksDir)}`, { id });
    if (found.length > 1) {
      throw fileModeError('CONFLICT', 'DUPLICATE_TASK', `task ${id} is in more than one directory (${found.join(', ')}); keep one and delete the others`, { id, states: found });
    }
    return this.read(found[0]!, this.pathOf(found[0]!, id));
  }

  /** Writes a new file that must not exist yet (feedback files); an existing one is an error. */
  async createFile(file: string, text: string): Promise<void> {
    await writeFile(file, text, { flag: 'wx' });
  }

  /** Writes a new task file in `state`; CONFLICT when the id is taken (exclusive create). */
  async create(state: TaskState, id: string, text: string): Promise<string> {
    const file = this.pathOf(state, id);
    let handle;
    try {
      handle = await open(file, 'wx');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'EEXIST') throw fileModeError('CONFLICT', 'DUPLICATE_TASK', `task ${id} already exists`, { id });
      translateFsError(err, this.dirOf(state), `create ${id}.md`);
    }
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    return file;
  }

  /**
   * Moves a task to `to` with new text, or rewrites it in place when it stays. The rename is the
   * lock: of two moves of the same file, one finds it gone and gets CONFLICT (ALREADY_CLAIMED).
   * The new text is written to a temporary file in the target directory first, so a directory
   * that cannot be written fails before anything moved.
   */
  async move(from: StoredTask, to: TaskState, text: string): Promise<string> {
    if (from.state === to) {
      await writeFileAtomic(from.path, text);
      return from.path;
    }
    const target = this.pathOf(to, from.task.id);
    if (await stat(target).then(() => true, () => false)) {
      if (!(await stat(from.path).then(() => true, () => false))) {
        throw fileModeError('CONFLICT', 'ALREADY_CLAIMED', `task ${from.task.id} was moved out of ${from.state} by someone else just now; nothing was changed`, { id: from.task.id, state: from.state });
      }
      throw fileModeError('CONFLICT', 'DUPLICATE_TASK', `${this.relative(target)} already exists; task ${from.task.id} stays in ${from.state}`, { id: from.task.id });
    }
    const tmp = tmpName(target);
    try {
      await writeFile(tmp, text, { flag: 'wx' });
    } catch (err) {
      translateFsError(err, this.relative(this.dirOf(to)), `move ${from.task.id} to ${to}`);
    }
    try {
      await rename(from.path, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if ((err as { code?: unknown }).code === 'ENOENT') {
        throw fileModeError('CONFLICT', 'ALREADY_CLAIMED', `task ${from.task.id} was moved out of ${from.state} by someone else just now; nothing was changed`, { id: from.task.id, state: from.state });
      }
      translateFsError(err, this.relative(this.dirOf(from.state)), `move ${from.task.id} out of ${from.state}`);
    }
    try {
      await rename(tmp, target);
    } catch (err) {
      await rename(target, from.path).catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      translateFsError(err, this.relative(target), `update ${from.task.id}`);
    }
    return target;
  }

  /** Writes a document (see {@link move}). */
  async save(from: StoredTask, to: TaskState, doc: TaskDocument): Promise<string> {
    return this.move(from, to, renderTaskFile(doc));
  }
}
