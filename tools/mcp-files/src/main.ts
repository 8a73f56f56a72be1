import { runFilesCli } from './cli';

/** `baton-files …`: see docs/file-mode.md. */
void runFilesCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(`${t}\n`),
  stderr: (t) => process.stderr.write(`${t}\n`),
  cwd: process.cwd(),
  env: process.env,
  now: () => new Date(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`baton-files: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
