/** Nest injection tokens of the handoff-validator's adapters. */
export const HANDOFF_RUNNER = Symbol.for('baton.handoff-validator.HandoffRunner');
export const READ_DB = Symbol.for('baton.handoff-validator.ReadDb');
export const ARTIFACT_STORE = Symbol.for('baton.handoff-validator.ArtifactStore');
export const HANDOFF_COMMANDS = Symbol.for('baton.handoff-validator.HandoffCommandHandler');
export const HANDOFF_RULES = Symbol.for('baton.handoff-validator.HandoffRules');
export const HANDOFF_METRICS = Symbol.for('baton.handoff-validator.HandoffMetrics');
export const SERVICE_INFO = Symbol.for('baton.handoff-validator.ServiceInfo');
