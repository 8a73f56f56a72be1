export { createKysely, queryRows, type CreateKyselyOptions } from './kysely';
export {
  migrateSchema,
  ensureSchema,
  assertSchemaName,
  MigrationFailedError,
  type Migration,
  type MigrateSchemaOptions,
  type MigrateSchemaResult,
} from './migrations';
export {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionLag,
  type ProjectionState,
} from './projection-runner';
export { isAfterCheckpoint, matchesFilter, ageMs, laterOf, occurredAtOf, positionFromColumns, unhandledProjectionEvent, type ProjectionFilter } from './projection-checkpoint';
export { postgresReadiness, projectionReadiness } from './readiness';
export { createTable, primaryKey, notNull, type ColumnType, type ColumnSpec, type ColumnSpecs, type ColumnOptions } from './table-builders';
export { patchRow, upsertRow, type RowVersion, type VersionedTable } from './row-writes';
export { executeLiteralWrite } from './deferred-writes';
export { deleteWhereInSql, insertRowsSql, sqlTable, updateRowSql, type OnKeyTaken } from './literal-sql';
