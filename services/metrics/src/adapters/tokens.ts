/** Nest injection tokens of the metrics service's adapters. */
export const METRICS_REPORT = Symbol.for('baton.metrics.MetricsReport');
export const READ_DB = Symbol.for('baton.metrics.ReadDb');
