export * from './port';
export * from './errors';
export {
  prepareAppend,
  parseExpectedRevision,
  expectedRevisionText,
  satisfiesExpected,
  isUuid,
  findNonJson,
  type PreparedAppend,
  type PreparedEvent,
} from './append-validation';
export { SharedSubscriptions, type SharedSubscriptionsOptions, type SubscriptionFeed } from './shared-subscriptions';
export { eventHash, type HashedEventFields } from './hash-chain';
export { parseNotice, type CommitNotice } from './commit-notice';
export { createPostgresEventStore, PostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres-event-store';
export type { EventStoreDatabase } from './postgres/event-store.tables';
export { inTransaction } from './postgres/transaction';
export type { KurrentEventStore, KurrentEventStoreOptions } from './kurrent/kurrent-event-store';
export { commandEventId } from './kurrent/deterministic-id';
export { eventStoreSelectionFromEnv, openEventStore, type EventStoreKind, type EventStoreSelection } from './open-event-store';
export { tamperAsTableOwner } from './testing/tamper';
