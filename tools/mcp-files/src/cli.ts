import { Command, CommanderError } from '@commander-js/extra-typings';
import { errorCodeOf } from '@baton/contracts';
import { addFileModeCommands, type FileModeIo } from './program';

/** What `baton-files` needs from the process (tests pass their own). */
export type FilesCliDeps = Omit<FileModeIo, 'json' | 'setExitCode'>;

/**
 * Runs `baton-files <argv…>` and resolves with the exit code: 0 done, 1 refused (the message
 * names the code; nothing was changed) or bad usage, the test command's code for a failing
 * `test`. Never calls process.exit.
 */
export async function runFilesCli(argv: readonly string[], deps: FilesCliDeps): Promise<number> {
  let exitCode = 0;
  const program = new Command('baton-files')
    .description('File-based task handoffs between agents in one repository (.mcp/tasks), no server needed. Move up to Baton with: baton files sync')
    .option('--json', 'print one JSON document instead of text')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => deps.stdout(s.replace(/\n$/, '')), writeErr: (s) => deps.stderr(s.replace(/\n$/, '')) });
  addFileModeCommands(program, { ...deps, json: () => program.opts().json === true, setExitCode: (c) => (exitCode = c) });
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput({ writeOut: (s) => deps.stdout(s.replace(/\n$/, '')), writeErr: (s) => deps.stderr(s.replace(/\n$/, '')) });
    for (const inner of sub.commands) inner.exitOverride();
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    const code = errorCodeOf(err);
    const [head = '', ...rest] = (err instanceof Error ? err.message : String(err)).split('\n');
    deps.stderr(code === undefined ? `baton-files: ${head}` : `baton-files: ${code}: ${head}`);
    for (const line of rest) deps.stderr(`  ${line}`);
    return 1;
  }
}
