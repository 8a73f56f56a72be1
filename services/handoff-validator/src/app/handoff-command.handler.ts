import {
  BatonError,
  errorCodeOf,
  handoffStreamId,
  type Actor,
  type ArtifactInput,
  type ArtifactRef,
  type DataOf,
  type EventMetadata,
  type HandoffVerdict,
  type NewEvent,
  type ValidateHandoff,
  ValidationError,
} from '@baton/contracts';
import { findNonJson, type EventStore } from '@baton/event-store';
import { toArtifactContent, type ArtifactContent, type HandoffCatalog, type HandoffSpec, type RuleRegistry } from '@baton/handoff-rules';
import {
  ArtifactNotFoundError,
  assertUniqueArtifactNames,
  decide,
  fold,
  selectNamedSpecs,
  toHandoffEvent,
  verdictOf,
  type HandoffEvent,
  type HandoffSubmission,
} from '../domain';
import { contentAddress, decodeArtifact, type DecodedArtifact } from './artifact-content';
import { evaluateHandoff } from './handoff-evaluation';
import type { HandoffMetrics } from './handoff.metrics';
import type { ArtifactStore, Clock, IdSource } from './ports';

export type ValidateHandoffData = DataOf<typeof ValidateHandoff>;

/** Trace headers of the request, stored in event metadata so the relay can continue the trace. */
export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** Who asked, and why: copied into the metadata of the events the command appends. */
export interface CommandContext {
  readonly commandId: string;
  readonly causationId?: string;
  readonly trace?: TraceHeaders;
}

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
  readonly store: EventStore;
  readonly artifacts: ArtifactStore;
  readonly rules: HandoffRules;
  readonly clock: Clock;
  readonly ids: IdSource;
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
  constructor(private readonly deps: HandoffCommandHandlerDeps) {}

  /**
   * validate-handoff, in an order that leaves nothing behind for a bad request:
   * 1. decode and size-check every inline artifact, and check names are unique (VALIDATION_FAILED,
   *    PAYLOAD_TOO_LARGE);
   * 2. a handoff id already recorded replies with its recorded verdict, re-evaluating nothing;
   * 3. choose the specs: `checks.specIds` (unknown → VALIDATION_FAILED listing the known ones), or
   *    those matching the sender and receivers;
   * 4. resolve `artifactRefs` from the store (unknown hash → NOT_FOUND naming it);
   * 5. evaluate the specs, quality gates and criteria;
   * 6. store the inline artifacts (content-addressed, so a rejected handoff's artifacts stay
   *    readable for rework), then append HandoffSubmitted and HandoffAccepted or HandoffRejected
   *    at `no_stream` with the command id. Losing a race to the same handoff id replies with the
   *    winner's verdict.
   */
  async validate(data: ValidateHandoffData, ctx: CommandContext): Promise<HandoffVerdict> {
    const inline = data.artifacts.map((a) => decodeArtifact(a, this.deps.maxArtifactBytes));
    assertUniqueArtifactNames([...inline.map((a) => a.name), ...data.artifactRefs.map((r) => r.name)]);
    assertRecordable(data);

    const streamId = handoffStreamId(data.handoffId);
    const recorded = await this.recordedVerdict(streamId);
    if (recorded !== undefined) return recorded;

    const specs = this.specsFor(data);
    const inlineHashes = inline.map((a) => contentAddress(a.bytes));
    const referenced = await this.resolveRefs(data.artifactRefs, inline, inlineHashes);

    const contents: ArtifactContent[] = [
      ...inline.map((a) => toArtifactContent(a.name, a.bytes, a.mediaType)),
      ...referenced.map((r) => r.content),
    ];
    const evaluation = evaluateHandoff(specs, { artifacts: contents, context: data.context, outputs: data.outputs }, data.checks, this.deps.rules.registry);

    const stored: ArtifactRef[] = [];
    for (const a of inline) {
      const put = await this.deps.artifacts.put(a.bytes, a.mediaType);
      stored.push({ name: a.name, hash: put.hash, size: put.size, mediaType: a.mediaType });
    }
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
    const now = this.deps.clock.now().toISOString();
    const events = decide({ type: 'RecordHandoff', data: { submission, evaluation }, metadata: { commandId: ctx.commandId, now } }, fold([]));
    const actor: Actor = { kind: 'agent', id: data.fromAgentId };
    const correlationId = data.runId ?? data.taskId;
    try {
      const result = await this.deps.store.append(
        streamId,
        events.map((e) => this.toNewEvent(e, ctx, { actor, correlationId, now })),
        { expectedRevision: 'no_stream', commandId: ctx.commandId },
      );
      if (result.duplicate) return this.mustHaveVerdict(streamId);
    } catch (err) {
      // Another request recorded this handoff id first: its verdict stands.
      if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION') return this.mustHaveVerdict(streamId);
      throw err;
    }
    const verdict = verdictOf(fold(events));
    if (verdict === undefined) throw new BatonError('INTERNAL', `handoff ${data.handoffId}: the recorded events give no verdict`);
    this.deps.metrics.recordVerdict(verdict);
    return verdict;
  }

  /** put-artifact: decodes, size-checks and stores one artifact; idempotent by content. */
  async putArtifact(input: ArtifactInput): Promise<ArtifactRef> {
    const a = decodeArtifact(input, this.deps.maxArtifactBytes);
    const put = await this.deps.artifacts.put(a.bytes, a.mediaType);
    return { name: a.name, hash: put.hash, size: put.size, mediaType: a.mediaType };
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
        content: toArtifactContent(r.name, found.bytes, found.mediaType),
      });
    }
    return resolved;
  }

  private async recordedVerdict(streamId: string): Promise<HandoffVerdict | undefined> {
    const recorded = await this.deps.store.readStream(streamId);
    if (recorded.length === 0) return undefined;
    return verdictOf(fold(recorded.map(toHandoffEvent)));
  }

  private async mustHaveVerdict(streamId: string): Promise<HandoffVerdict> {
    const verdict = await this.recordedVerdict(streamId);
    if (verdict === undefined) throw new BatonError('INTERNAL', `${streamId} exists but holds no verdict`);
    return verdict;
  }

  private toNewEvent(event: HandoffEvent, ctx: CommandContext, m: { actor: Actor; correlationId: string; now: string }): NewEvent {
    const trace = ctx.trace ?? {};
    const metadata: EventMetadata = {
      occurredAt: m.now,
      commandId: ctx.commandId,
      correlationId: m.correlationId,
      causationId: ctx.causationId ?? ctx.commandId,
      actor: m.actor,
      ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
      ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
    };
    return { eventId: this.deps.ids.newId(), type: event.type, schemaVersion: 1, data: event.data, metadata };
  }
}
