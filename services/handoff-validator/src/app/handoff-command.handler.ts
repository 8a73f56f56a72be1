import type { CommandContext, CommandRunner } from '@baton/aggregate';
import { BatonError, type ArtifactInput, type ArtifactRef, type DataOf, type HandoffVerdict, type ValidateHandoff, ValidationError } from '@baton/contracts';
import { findNonJson } from '@baton/event-store';
import { toArtifactContent, type ArtifactContent, type HandoffCatalog, type HandoffSpec, type RuleRegistry } from '@baton/handoff-rules';
import {
  ArtifactNotFoundError,
  assertUniqueArtifactNames,
  selectNamedSpecs,
  verdictOf,
  type HandoffCommand,
  type HandoffEvent,
  type HandoffState,
  type HandoffSubmission,
  type RecordHandoff,
} from '../domain';
import { contentAddress, decodeArtifact, type DecodedArtifact } from './artifact-content';
import { evaluateHandoff } from './handoff-evaluation';
import type { HandoffMetrics } from './handoff.metrics';
import type { ArtifactStore } from './ports';
import { RecentMap } from './recent-map';

export type ValidateHandoffData = DataOf<typeof ValidateHandoff>;

/** Artifacts kept as the rules saw them: at most 256, weighing at most 32 MiB (bytes and text). */
const CONTENT_CACHE = { maxEntries: 256, maxWeight: 32 * 1024 * 1024, weigh: (c: ArtifactContent) => c.bytes.byteLength + (c.text?.length ?? 0) * 2 } as const;

/** The command runner of the handoff aggregate (`handoff-<handoffId>` streams). */
export type HandoffRunner = CommandRunner<HandoffState, HandoffCommand, HandoffEvent>;

/**
 * What goes into the events must be storable as JSON by every event store (no NUL characters,
 * which Postgres jsonb refuses): checked up front, so such a request stores nothing either.
 */
function assertRecordable(data: ValidateHandoffData): void {
  const recorded = {
    stageId: data.stageId,
    checks: data.checks,
    artifacts: data.artifacts.map((a) => ({ name: a.name, mediaType: a.mediaType ?? null })),
    artifactRefs: data.artifactRefs,
    context: data.context,
  };
  const bad = findNonJson(recorded, 'data');
  if (bad !== undefined) throw new ValidationError(`handoff cannot be recorded: ${bad} is not storable JSON; remove it`, { path: bad });
}

/** The handoff specs loaded at start and the rules they use. */
export interface HandoffRules {
  readonly catalog: HandoffCatalog;
  readonly registry: RuleRegistry;
}

export interface HandoffCommandHandlerDeps {
  readonly handoffs: HandoffRunner;
  readonly artifacts: ArtifactStore;
  readonly rules: HandoffRules;
  readonly metrics: HandoffMetrics;
  /** Largest artifact accepted, decoded (`ARTIFACT_MAX_BYTES`). */
  readonly maxArtifactBytes: number;
}

/**
 * The handoff-validator's commands. `validate` checks a handoff and records its verdict in
 * `handoff-<handoffId>`; `putArtifact` stores one artifact ahead of a handoff.
 *
 * @example
 * const verdict = await handler.validate(data, { commandId });
 */
export class HandoffCommandHandler {
  /**
   * Artifacts as the rules saw them, by address, name and media type. Agents hand the same
   * documents over stage after stage; the rules keep what they derive from one (a YAML or JSON
   * document parsed, a Markdown outline) with its {@link ArtifactContent}, so the same bytes are
   * parsed once, not once per handoff. Bounded by {@link CONTENT_CACHE}.
   */
  private readonly contents = new RecentMap<string, ArtifactContent>(CONTENT_CACHE);

  constructor(private readonly deps: HandoffCommandHandlerDeps) {}

  /**
   * validate-handoff, in an order that leaves nothing behind for a bad request:
   * 1. decode and size-check every inline artifact, and check names are unique (VALIDATION_FAILED,
   *    PAYLOAD_TOO_LARGE);
   * 2. a handoff id already recorded replies with its recorded verdict, re-evaluating nothing
   *    (through the runner all the same: a command id reused for another request on this
   *    handoff is IDEMPOTENCY_CONFLICT);
   * 3. choose the specs: `checks.specIds` (unknown → VALIDATION_FAILED listing the known ones), or
   *    those matching the sender and receivers;
   * 4. resolve `artifactRefs` from the store (unknown hash → NOT_FOUND naming it);
   * 5. evaluate the specs, quality gates and criteria;
   * 6. store the inline artifacts (content-addressed, so a rejected handoff's artifacts stay
   *    readable for rework), then record the verdict through the runner (HandoffSubmitted and
   *    HandoffAccepted or HandoffRejected). Losing a race to the same handoff id replies with the
   *    winner's verdict: the runner decides again on the recorded handoff, which records nothing.
   */
  async validate(data: ValidateHandoffData, ctx: CommandContext): Promise<HandoffVerdict> {
    const inline = data.artifacts.map((a) => decodeArtifact(a, this.deps.maxArtifactBytes));
    assertUniqueArtifactNames([...inline.map((a) => a.name), ...data.artifactRefs.map((r) => r.name)]);
    assertRecordable(data);
    // A handoff is the sending agent's act, whoever relayed the request (the scheduler, a gateway).
    const asSender: CommandContext = { ...ctx, actor: { kind: 'agent', id: data.fromAgentId } };

    const inlineHashes = inline.map((a) => contentAddress(a.bytes));
    // A handoff whose inline artifacts are all known to be stored writes nothing before its
    // events: it is evaluated and recorded as new without reading its (almost always empty)
    // stream first. One recorded already refuses the append at `no_stream`; the runner then
    // decides again on the stream as it is, and RecordHandoff on a recorded handoff gives
    // nothing: the first verdict is the reply, as below. Otherwise the stream is read first, so
    // a request for a recorded handoff stores none of its artifacts.
    // A request the evaluation refuses (an unknown spec id or artifact reference) is refused
    // only for a new handoff: for one recorded already, its verdict is the reply, as it is on the
    // path that reads first.
    const knownBytes = this.deps.artifacts.knownStored(inlineHashes);
    const record = knownBytes
      ? await this.evaluate(data, inline, inlineHashes).catch(async (err: unknown) => {
          if ((await this.deps.handoffs.load(data.handoffId)).state.status === 'none') throw err;
          return undefined;
        })
      : (await this.deps.handoffs.load(data.handoffId)).state.status === 'none'
        ? await this.evaluate(data, inline, inlineHashes)
        : undefined;
    const result = await this.deps.handoffs.execute(
      data.handoffId,
      (metadata): HandoffCommand => (record ? { type: 'RecordHandoff', data: record, metadata } : { type: 'RepeatHandoff', data: { handoffId: data.handoffId }, metadata }),
      asSender,
      { assumeNew: knownBytes && record !== undefined },
    );
    const verdict = verdictOf(result.state);
    if (verdict === undefined) throw new BatonError('INTERNAL', `handoff ${data.handoffId}: the recorded events give no verdict`);
    if (result.appended.length > 0) this.deps.metrics.recordVerdict(verdict);
    return verdict;
  }

  /** Steps 3 to 6 before the append: the specs, the artifacts (inline ones stored), the evaluation. */
  private async evaluate(data: ValidateHandoffData, inline: readonly DecodedArtifact[], inlineHashes: readonly string[]): Promise<RecordHandoff['data']> {
    const specs = this.specsFor(data);
    const referenced = await this.resolveRefs(data.artifactRefs, inline, inlineHashes);
    const contents: ArtifactContent[] = [...inline.map((a, i) => this.contentOf(a.name, inlineHashes[i]!, a.bytes, a.mediaType)), ...referenced.map((r) => r.content)];
    const evaluation = evaluateHandoff(specs, { artifacts: contents, context: data.context, outputs: data.outputs }, data.checks, this.deps.rules.registry);

    // All in one go (content-addressed, idempotent): one round trip at most, not one per artifact.
    const puts = inline.length > 0 ? await this.deps.artifacts.put(inline) : [];
    const stored: ArtifactRef[] = inline.map((a, i) => ({ name: a.name, hash: puts[i]!.hash, size: puts[i]!.size, mediaType: a.mediaType }));
    const submission: HandoffSubmission = {
      handoffId: data.handoffId,
      taskId: data.taskId,
      runId: data.runId,
      stageId: data.stageId,
      iteration: data.iteration,
      fromAgentId: data.fromAgentId,
      toAgentIds: data.checks.toAgentIds,
      specIds: specs.map((s) => s.id),
      artifacts: [...stored, ...referenced.map((r) => r.ref)],
      context: data.context,
    };
    return { submission, evaluation };
  }

  /** The artifact as the rules see it, the one seen before when the same bytes came with the same name and media type. */
  private contentOf(name: string, hash: string, bytes: Uint8Array, mediaType: string): ArtifactContent {
    const key = `${hash}\u0000${name}\u0000${mediaType}`;
    const seen = this.contents.get(key);
    if (seen !== undefined) return seen;
    const content = toArtifactContent(name, bytes, mediaType);
    this.contents.set(key, content);
    return content;
  }

  /** put-artifact: decodes, size-checks and stores one artifact; idempotent by content. */
  async putArtifact(input: ArtifactInput): Promise<ArtifactRef> {
    const a = decodeArtifact(input, this.deps.maxArtifactBytes);
    const [put] = await this.deps.artifacts.put([a]);
    return { name: a.name, hash: put!.hash, size: put!.size, mediaType: a.mediaType };
  }

  private specsFor(data: ValidateHandoffData): HandoffSpec[] {
    const { catalog } = this.deps.rules;
    if (data.checks.specIds.length === 0) return [...catalog.matching({ fromAgentId: data.fromAgentId, toAgentIds: data.checks.toAgentIds })];
    const ids = selectNamedSpecs(data.checks.specIds, catalog.specs.map((s) => s.id));
    return ids.map((id) => catalog.get(id)).filter((s): s is HandoffSpec => s !== undefined);
  }

  /** The referenced artifacts' refs and contents; an inline artifact with the same hash counts as stored. */
  private async resolveRefs(
    refs: ValidateHandoffData['artifactRefs'],
    inline: readonly DecodedArtifact[],
    inlineHashes: readonly string[],
  ): Promise<{ ref: ArtifactRef; content: ArtifactContent }[]> {
    if (refs.length === 0) return [];
    const byHash = new Map(inlineHashes.map((h, i) => [h, inline[i]!] as const));
    const present = await this.deps.artifacts.has(refs.map((r) => r.hash).filter((h) => !byHash.has(h)));
    const missing = refs.filter((r) => !byHash.has(r.hash) && !present.has(r.hash));
    if (missing.length > 0) throw new ArtifactNotFoundError(missing.map((m) => ({ name: m.name, hash: m.hash })));
    const resolved: { ref: ArtifactRef; content: ArtifactContent }[] = [];
    for (const r of refs) {
      const local = byHash.get(r.hash);
      const found = local ? { bytes: local.bytes, mediaType: local.mediaType } : await this.deps.artifacts.get(r.hash);
      if (!found) throw new ArtifactNotFoundError([{ name: r.name, hash: r.hash }]);
      resolved.push({
        ref: { name: r.name, hash: r.hash, size: found.bytes.byteLength, mediaType: found.mediaType },
        content: this.contentOf(r.name, r.hash, found.bytes, found.mediaType),
      });
    }
    return resolved;
  }
}
