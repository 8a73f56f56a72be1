import { Option, type Command } from '@commander-js/extra-typings';
import { parseDatabaseUrl } from '../args';
import { collectRunTimeline, formatTimeline } from '../audit/timeline';
import { formatVerifyReport, verifyStreams } from '../audit/verify';
import type { CliContext } from '../context';
import { CliError, ExitCode } from '../failure';

const DATABASE_URL_HELP = 'PostgreSQL holding the event store (default: $DATABASE_URL, else the local one); BATON_EVENT_STORE/EVENTSTORE_URL select KurrentDB instead';

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description("a run's whole timeline read straight from the event store (runs, tasks, handoffs, escalations, conflicts); `audit verify` checks the hash chains")
    .argument('<runId>', 'run id')
    .addOption(new Option('--database-url <url>', DATABASE_URL_HELP).argParser(parseDatabaseUrl))
    .action(async (runId, opts) => {
      const timeline = await ctx.readStore(opts.databaseUrl, (store) => collectRunTimeline(store, runId));
      if (timeline === undefined) throw new CliError(`NOT_FOUND: run ${runId} was not found in the event store (stream run-${runId} does not exist)`);
      ctx.emit(timeline.events, () => formatTimeline(timeline, ctx.paint));
    });

  audit
    .command('verify')
    .description("recompute every stream's hash chain (tamper evidence); exit 1 if any is broken")
    .option('--stream <streamId>', 'check only this stream')
    .addOption(new Option('--database-url <url>', DATABASE_URL_HELP).argParser(parseDatabaseUrl))
    .action(async (opts) => {
      // An option written after `verify` may have been taken by `audit`, which declares it too.
      const databaseUrl = opts.databaseUrl ?? audit.opts().databaseUrl;
      const report = await ctx.readStore(databaseUrl, (store) =>
        verifyStreams(store, {
          ...(opts.stream === undefined ? {} : { streamIds: [opts.stream] }),
          onProgress: (done, total) => {
            if (!ctx.json) ctx.warn(`verified ${done}/${total} streams`);
          },
        }),
      );
      if (opts.stream !== undefined && report.ok && report.events === 0) {
        throw new CliError(`NOT_FOUND: stream ${opts.stream} was not found in the event store`);
      }
      ctx.emit(report, () => formatVerifyReport(report).join('\n'));
      if (!report.ok) {
        ctx.warn(`baton: ${report.broken.length} of ${report.streams} stream${report.streams === 1 ? '' : 's'} failed verification`);
        ctx.exitCode = ExitCode.failed;
      }
    });
}
