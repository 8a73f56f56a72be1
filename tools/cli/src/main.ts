import { runCli } from './cli';
import { processDeps } from './context';

/** `baton …`: see docs/cli.md. */
void runCli(process.argv.slice(2), processDeps()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`baton: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
