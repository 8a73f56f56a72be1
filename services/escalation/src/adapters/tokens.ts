/** Nest injection tokens of the escalation service's adapters. */
export const READ_DB = Symbol.for('baton.escalation.ReadDb');
export const ESCALATION_SERVICE = Symbol.for('baton.escalation.EscalationService');
export const SERVICE_VERSION = Symbol.for('baton.escalation.Version');
