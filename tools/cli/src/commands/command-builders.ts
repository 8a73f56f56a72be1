import type { Command } from '@commander-js/extra-typings';
import { reasonOption, reassignToOption, resolutionOption, statusOption } from '../args';
import { asOption } from './approvals';

/** `<group> list`, described by `description`, with `--status` (only `things` with one of `statuses`). */
export function listCommand<T extends string>(group: Command, things: string, description: string, statuses: readonly T[]) {
  return group.command('list').description(description).addOption(statusOption(things, statuses));
}

/** The `<id>` argument of a command about one thing, and its help: `['<conflictId>', 'conflict id']`. */
export type IdArgument = readonly [`<${string}>`, string];

/** `<group> show <id>`, described by `description`. */
export function showCommand(group: Command, description: string, id: IdArgument) {
  return group.command('show').description(description).argument(id[0], id[1]);
}

/**
 * `<group> resolve <id>`: ends one with a logged resolution, recorded for a person:
 * `--resolution` (one of `resolutions`), `--reason`, `--reassign-to` and `--as`. `help` says
 * what the command does and when `--reassign-to` goes.
 */
export function resolveCommand<T extends string>(group: Command, id: IdArgument, resolutions: readonly T[], help: { readonly command: string; readonly reassignTo: string }) {
  return group
    .command('resolve')
    .description(help.command)
    .argument(id[0], id[1])
    .addOption(resolutionOption(resolutions))
    .addOption(reasonOption('why (logged with the resolution)'))
    .addOption(reassignToOption(help.reassignTo))
    .addOption(asOption());
}
