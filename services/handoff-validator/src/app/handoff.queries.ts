import path from 'node:path';
import type { DataOf, GetArtifact, HandoffView, ListHandoffs, ListHandoffSpecs, ReplyOf } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { REPO_ROOT } from '../config';
import { ArtifactHashNotFoundError, handoffViewOf, HandoffNotFoundError } from '../domain';
import { selectHandoffs, toHandoffView } from '../read-model/handoffs.queries';
import type { HandoffDatabase } from '../read-model/handoffs.table';
import { encodeForReply } from './artifact-content';
import type { HandoffRules, HandoffRunner } from './handoff-command.handler';
import type { ArtifactStore } from './ports';

/** get-artifact: the stored bytes, as UTF-8 text for textual media types (when they are valid UTF-8), else base64; NOT_FOUND when no such hash is stored. */
export async function getArtifact(artifacts: ArtifactStore, hash: string): Promise<ReplyOf<typeof GetArtifact>> {
  const found = await artifacts.get(hash);
  if (!found) throw new ArtifactHashNotFoundError(hash);
  return { hash, size: found.bytes.byteLength, mediaType: found.mediaType, ...encodeForReply(found.bytes, found.mediaType) };
}

/**
 * get-handoff: folded from the handoff's own stream (two events), so it is current as soon as
 * validate-handoff has replied, with no wait for the read model. NOT_FOUND when never recorded.
 */
export async function getHandoff(handoffs: HandoffRunner, handoffId: string): Promise<HandoffView> {
  const view = handoffViewOf((await handoffs.load(handoffId)).state);
  if (!view) throw new HandoffNotFoundError(handoffId);
  return view;
}

/** list-handoffs: from the `baton_handoff.handoffs` read model, oldest first. */
export async function listHandoffs(db: Kysely<HandoffDatabase>, filter: DataOf<typeof ListHandoffs>): Promise<HandoffView[]> {
  return (await selectHandoffs(db, filter)).map(toHandoffView);
}

/** A spec's file for display: relative to the repository when inside it (`examples/handoffs/ho-pm-arch.yaml`), else as loaded. */
function displaySource(file: string): string {
  const relative = path.relative(REPO_ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** list-handoff-specs: the specs loaded from HANDOFFS_DIR, by id. */
export function listHandoffSpecs(rules: HandoffRules): ReplyOf<typeof ListHandoffSpecs> {
  return {
    specs: [...rules.catalog.specs]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((s) => ({ id: s.id, from: [...s.from], to: [...s.to], artifacts: s.artifacts.map((a) => a.name), context: s.context.map((c) => c.text), source: displaySource(s.source) })),
  };
}
