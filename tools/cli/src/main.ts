import { inSpan, startTracing } from '@baton/telemetry';
import { runCli } from './cli';
import { processDeps } from './context';

// Tracing first (off unless the OTEL_* variables turn it on): each invocation is one span, the
// parent of the requests it sends, so a run started here is traced from the command line.
const tracing = startTracing({ serviceName: 'baton-cli' });

/** Global options that take a value, skipped when naming the span after the command. */
const VALUE_OPTIONS = new Set(['--nats', '--request-timeout']);

/** `baton workflows execute …` → `baton workflows`: the command group, never an id or a reason. */
function spanName(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return `baton ${a}`;
  }
  return 'baton';
}

/** `baton …`: see docs/cli.md. */
const args = process.argv.slice(2);
void inSpan(spanName(args), {}, () => runCli(args, processDeps()))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`baton: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  )
  .finally(() => tracing.shutdown());
