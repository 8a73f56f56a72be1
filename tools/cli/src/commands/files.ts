import path from 'node:path';
import { Option, type Command } from '@commander-js/extra-typings';
import { addFileModeCommands, namespaceFor, syncFiles, TaskStore, type SyncReport } from '@baton/mcp-files';
import type { CliContext } from '../context';

function formatSync(r: SyncReport): string {
  const lines = [
    `submitted ${r.submitted.length}, already in Baton ${r.alreadyImported.length}, moved ${r.mirrored.length}, waiting ${r.waiting.length}, skipped ${r.skipped.length}`,
    ...r.submitted.map((s) => `  + ${s.id} → ${s.engineTaskId}`),
    ...r.mirrored.map((m) => `  ${m.id}: ${m.from}/ → ${m.to}/ (${m.engineStatus} in Baton)`),
    ...r.waiting.map((w) => `  ${w.id} waits for ${w.waitingFor.join(', ')}`),
    ...r.skipped.map((s) => `  ${s.id} skipped: ${s.reason}`),
  ];
  return lines.join('\n');
}

/**
 * `baton files …`: the file mode (task files in .mcp/tasks, no server) inside the Baton CLI, plus
 * `baton files sync`, which imports the file tasks into a running Baton and mirrors the engine's
 * status back into the files.
 */
export function registerFilesCommands(program: Command, ctx: CliContext): void {
  const files = program
    .command('files')
    .description('file-based task handoffs in a repository (.mcp/tasks), and sync with a running Baton')
    .option('--dir <path>', 'the repository (default: the current directory)');
  const cwd = () => path.resolve(files.opts().dir ?? process.cwd());
  addFileModeCommands(files, {
    stdout: (t) => ctx.deps.io.stdout(t),
    stderr: (t) => ctx.deps.io.stderr(t),
    get cwd() {
      return cwd();
    },
    env: ctx.deps.env,
    now: () => ctx.now(),
    json: () => ctx.json,
    setExitCode: (c) => (ctx.exitCode = c),
  });

  files
    .command('sync')
    .description('import the ready tasks into Baton (once each) and move the files to where the engine has them (done/ when completed)')
    .option('--namespace <name>', 'prefix of the engine task ids (default: the repository directory name)')
    .addOption(new Option('--action <action>', 'the engine task action agents dispatch on').default('file-task'))
    .option('--capability <name>', 'a capability the agent must have (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (opts) => {
      const store = await TaskStore.open(cwd());
      const report = await syncFiles({ store, now: () => ctx.now() }, await ctx.client(), {
        namespace: namespaceFor(opts.namespace ?? path.basename(store.root)),
        action: opts.action,
        capabilities: opts.capability ?? [],
      });
      ctx.emit(report, () => formatSync(report));
    });
}
