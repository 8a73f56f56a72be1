import { Option, type Command } from '@commander-js/extra-typings';
import { ApproveStage, RejectStage, type Actor, type DataOf, type MessageDefinition, type ReplyOf } from '@baton/contracts';
import { parseName, reasonOption } from '../args';
import type { CliContext } from '../context';
import { toneOf } from '../format';

/**
 * The person a decision is recorded for (the command's actor): `--as`, else `$BATON_USER`,
 * else `$USER`, else `human`.
 */
export function humanActor(env: Readonly<Record<string, string | undefined>>, as: string | undefined): Actor {
  const pick = [as, env['BATON_USER'], env['USER']].map((v) => v?.trim()).find((v): v is string => v !== undefined && v !== '');
  return { kind: 'human', id: pick ?? 'human' };
}

/** `--as <name>`, shared by the commands that record a person's decision. */
export function asOption(): Option<'--as <name>', undefined, undefined, string> {
  return new Option('--as <name>', 'who decides (default: $BATON_USER, else $USER)').argParser(parseName);
}

/**
 * Sends `def` recorded as a person's decision (the {@link humanActor} of `as`): its reply, and
 * the actor it was recorded for.
 */
export async function commandAsHuman<D extends MessageDefinition>(
  ctx: CliContext,
  def: D,
  data: DataOf<D>,
  as: string | undefined,
  options: { readonly correlationId?: string } = {},
): Promise<{ reply: ReplyOf<D>; actor: Actor }> {
  const actor = humanActor(ctx.deps.env, as);
  const reply = await (await ctx.client()).command(def, data, { commandId: ctx.newId(), ...options, actor });
  return { reply, actor };
}

const DECISIONS = {
  approve: { def: ApproveStage, verb: 'approved', help: 'approve a stage that waits for approval (approve-stage); you are recorded as the approver' },
  reject: { def: RejectStage, verb: 'rejected', help: 'reject a stage that waits for approval (reject-stage); the reason goes back to its agents as feedback' },
} as const;

export function registerApprovalCommands(program: Command, ctx: CliContext): void {
  for (const name of ['approve', 'reject'] as const) {
    const { def, verb, help } = DECISIONS[name];
    program
      .command(name)
      .description(help)
      .argument('<runId>', 'run id')
      .argument('<stageId>', 'the stage that waits')
      .addOption(reasonOption('why (kept in the run history)'))
      .addOption(asOption())
      .action(async (runId, stageId, opts) => {
        const { reply } = await commandAsHuman(ctx, def, { runId, stageId, reason: opts.reason }, opts.as, { correlationId: runId });
        ctx.emit(reply, () => `${verb} stage ${stageId} of run ${reply.runId} (run is ${ctx.paint(reply.status, toneOf(reply.status))})`);
      });
  }
}
