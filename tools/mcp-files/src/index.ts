/**
 * The file mode of Baton: task handoffs between agents through Markdown files in
 * `.mcp/tasks/<state>/`, with no server, and `syncFiles` to move them up to a running Baton.
 *
 * @example
 * const ctx = { store: await TaskStore.open(process.cwd()), now: () => new Date() };
 * const { task } = await createTask(ctx, { title: 'Add login rate limit', priority: 'P0' });
 * await claimTask(ctx, task.id, 'cursor'); // after prepTask
 */
export { AGENTS_GUIDE, writeAgentsGuide } from './agents-guide';
export { fileModeError, reasonOf, type FileModeReason } from './errors';
export { installHooks, matchesAffected, runPostCommit, runPreCommit } from './git-hooks';
export {
  addNote,
  claimTask,
  completeTask,
  createTask,
  failTask,
  giveFeedback,
  heldTask,
  nextTask,
  prepTask,
  recordTestFailure,
  releaseTask,
  reopenTask,
  requestReview,
  stamp,
  statusReport,
  unmetDependencies,
  type HandoffContext,
  type NextMode,
  type StatusReport,
} from './handoff';
export { runFilesCli } from './cli';
export { addFileModeCommands, type FileModeIo } from './program';
export { engineTaskId, namespaceFor, stateForEngineStatus, submission, syncFiles, type EngineClient, type SyncOptions, type SyncReport } from './sync';
export { parseTaskFile, renderTaskFile, summarize, TASK_STATES, type TaskState, type TaskSummary } from './task-file';
export { TaskStore } from './task-store';
export { runTestsForTask } from './test-runner';
