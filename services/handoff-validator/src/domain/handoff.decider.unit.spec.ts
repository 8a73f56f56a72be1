import { deciderSpec } from '@baton/aggregate';
import type { RuleFailure } from '@baton/contracts';
import {
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  assertUniqueArtifactNames,
  evolve,
  handoffAggregate,
  handoffViewOf,
  initialHandoffState,
  selectNamedSpecs,
  statusOf,
  toHandoffEvent,
  verdictOf,
  type HandoffEvent,
  type HandoffSubmission,
  type RecordHandoff,
  type RepeatHandoff,
} from '.';

const NOW = '2026-11-22T08:30:00.000Z';

const submission: HandoffSubmission = {
  handoffId: 'ho-1',
  taskId: 'task-1',
  runId: 'run-1',
  stageId: 'requirements',
  iteration: 1,
  fromAgentId: 'MCT-PM-001',
  toAgentIds: ['MCT-ARCH-001'],
  specIds: ['HO-PM-ARCH'],
  artifacts: [{ name: 'prd.md', hash: `sha256:${'a'.repeat(64)}`, size: 120, mediaType: 'text/markdown' }],
  context: { priority_level: 'P1' },
};

const failure: RuleFailure = {
  source: 'handoff',
  specId: 'HO-PM-ARCH',
  artifact: 'prd.md',
  rule: 'user_stories: min 3',
  message: 'user_stories has 0 items; at least 3 are required',
  missing: ['section "User Stories"'],
};

function record(failures: RuleFailure[], rulesChecked = 7): RecordHandoff {
  return { type: 'RecordHandoff', data: { submission, evaluation: { failures, rulesChecked } }, metadata: { commandId: 'c-1', now: NOW } };
}

const submitted: HandoffEvent = {
  type: 'HandoffSubmitted',
  data: { ...submission, toAgentIds: ['MCT-ARCH-001'], specIds: ['HO-PM-ARCH'], artifacts: [...submission.artifacts], context: { ...submission.context }, submittedAt: NOW },
};
const common = { handoffId: 'ho-1', taskId: 'task-1', runId: 'run-1', stageId: 'requirements', fromAgentId: 'MCT-PM-001', specIds: ['HO-PM-ARCH'], rulesChecked: 7 };

const repeat: RepeatHandoff = { type: 'RepeatHandoff', data: { handoffId: 'ho-1' }, metadata: { commandId: 'c-2', now: NOW } };
const accepted: HandoffEvent = { type: 'HandoffAccepted', data: { ...common, acceptedAt: NOW } };
const rejected: HandoffEvent = { type: 'HandoffRejected', data: { ...common, failures: [failure], rejectedAt: NOW } };

describe('handoff decider', () => {
  const spec = deciderSpec(handoffAggregate);

  describe('given a new handoff', () => {
    it('when no rule failed, records it submitted and accepted', () => {
      spec.given([]).when(record([])).then([submitted, accepted]);
    });

    it('when rules failed, records it submitted and rejected with every failure', () => {
      const second: RuleFailure = { ...failure, rule: 'no_tbd_markers', message: 'prd.md has 2 TBD markers', missing: ['line 4', 'line 9'] };
      spec
        .given([])
        .when(record([failure, second]))
        .then([submitted, { type: 'HandoffRejected', data: { ...common, failures: [failure, second], rejectedAt: NOW } }]);
    });

    it('with no rules at all (nothing applied), accepts it with 0 rules checked', () => {
      spec
        .given([])
        .when(record([], 0))
        .then([submitted, { type: 'HandoffAccepted', data: { ...common, rulesChecked: 0, acceptedAt: NOW } }]);
    });

    it('a repeat of a handoff never recorded is NOT_FOUND', () => {
      spec.given([]).when(repeat).thenThrows('NOT_FOUND', /handoff ho-1/);
    });
  });

  describe('given a recorded handoff', () => {
    it('records nothing more for another request (the first verdict stands, also for the loser of a race)', () => {
      const state = spec.given([submitted, rejected]).when(record([])).then([]);
      expect(verdictOf(state)?.status).toBe('rejected');
    });

    it('a repeat records nothing and keeps the verdict', () => {
      expect(verdictOf(spec.given([submitted, accepted]).when(repeat).then([]))?.status).toBe('accepted');
    });
  });

  it('names the run as the correlation of its events, or the task outside a run', () => {
    const correlationOf = handoffAggregate.correlationOf!;
    expect(correlationOf(submitted, initialHandoffState)).toBe('run-1');
    expect(correlationOf({ type: 'HandoffAccepted', data: { ...common, runId: null, acceptedAt: NOW } }, initialHandoffState)).toBe('task-1');
  });

  it('folds the recorded events into the verdict and the view', () => {
    const state = spec.given([submitted, rejected]).state();
    expect(verdictOf(state)).toEqual({
      handoffId: 'ho-1',
      status: 'rejected',
      failures: [failure],
      specIds: ['HO-PM-ARCH'],
      artifacts: submission.artifacts,
      rulesChecked: 7,
    });
    // The view is the submission (whom it went to aside) with its verdict.
    const { toAgentIds: _toAgentIds, ...handedOver } = submission;
    expect(handoffViewOf(state)).toEqual({ ...handedOver, status: 'rejected', failures: [failure], submittedAt: NOW });
  });

  it('has no verdict before one is recorded', () => {
    expect(verdictOf(initialHandoffState)).toBeUndefined();
    expect(verdictOf(evolve(initialHandoffState, submitted))).toBeUndefined();
    expect(handoffViewOf(evolve(initialHandoffState, submitted))).toBeUndefined();
  });

  it('refuses events out of order (INTERNAL)', () => {
    expect(() => evolve(initialHandoffState, { type: 'HandoffAccepted', data: { ...common, acceptedAt: NOW } })).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
    expect(() => spec.given([submitted, submitted])).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('accepts exactly when nothing failed', () => {
    expect(statusOf({ failures: [], rulesChecked: 3 })).toBe('accepted');
    expect(statusOf({ failures: [failure], rulesChecked: 3 })).toBe('rejected');
  });
});

describe('reading stored handoff events', () => {
  it('reads each v1 event into the domain shape', () => {
    expect(toHandoffEvent({ type: 'HandoffSubmitted', schemaVersion: 1, data: submitted.data })).toEqual(submitted);
    // RuleFailure.missing defaults to [] when a stored failure has none.
    const { missing: _m, ...noMissing } = failure;
    expect(toHandoffEvent({ type: 'HandoffRejected', schemaVersion: 1, data: { ...common, failures: [noMissing], rejectedAt: NOW } })).toEqual({
      type: 'HandoffRejected',
      data: { ...common, failures: [{ ...failure, missing: [] }], rejectedAt: NOW },
    });
  });

  it('refuses unknown types and versions (UNKNOWN_SCHEMA_VERSION) and malformed data (INTERNAL)', () => {
    expect(() => toHandoffEvent({ type: 'HandoffSubmitted', schemaVersion: 2, data: submitted.data })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }),
    );
    expect(() => toHandoffEvent({ type: 'HandoffVanished', schemaVersion: 1, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
    expect(() => toHandoffEvent({ type: 'HandoffAccepted', schemaVersion: 1, data: { handoffId: 'ho-1' } })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('request rules', () => {
  const known = ['HO-PM-ARCH', 'HO-ARCH-DEV', 'HO-DEV-SEC'];

  it('keeps the named specs in order, once each', () => {
    expect(selectNamedSpecs(['HO-DEV-SEC', 'HO-PM-ARCH', 'HO-DEV-SEC'], known)).toEqual(['HO-DEV-SEC', 'HO-PM-ARCH']);
  });

  it('names unknown spec ids and lists the known ones (VALIDATION_FAILED)', () => {
    expect(() => selectNamedSpecs(['HO-PM-ARCH', 'HO-NOPE'], known)).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        message: 'unknown handoff spec HO-NOPE; known: HO-ARCH-DEV, HO-DEV-SEC, HO-PM-ARCH',
        details: { unknown: ['HO-NOPE'], known: ['HO-ARCH-DEV', 'HO-DEV-SEC', 'HO-PM-ARCH'] },
      }),
    );
    expect(() => selectNamedSpecs(['HO-X'], [])).toThrow(expect.objectContaining({ message: 'unknown handoff spec HO-X; known: (none loaded)' }));
  });

  it('rejects two artifacts with one name (VALIDATION_FAILED)', () => {
    expect(() => assertUniqueArtifactNames(['prd.md', 'designs/'])).not.toThrow();
    expect(() => assertUniqueArtifactNames(['prd.md', 'designs/', 'prd.md'])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { duplicates: ['prd.md'] } }),
    );
  });

  it('errors name the artifact, its size and the limit, or the missing hashes', () => {
    const big = new ArtifactTooLargeError('prd.md', 600_000, 524_288);
    expect(big.toBody()).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'artifact "prd.md" is 600000 bytes; the limit is 524288 bytes (ARTIFACT_MAX_BYTES)',
      details: { artifact: 'prd.md', size: 600_000, limit: 524_288 },
    });
    const hash = `sha256:${'b'.repeat(64)}`;
    const missing = new ArtifactNotFoundError([{ name: 'tdd.md', hash }]);
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain(`"tdd.md" (${hash})`);
  });
});
