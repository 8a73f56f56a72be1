#!/usr/bin/env node
// The one-shot migration (`npm run migrate`; docker compose's `migrate` service, in the image as
// `node scripts/migrate.mjs`): from the compiled output (`npm run build`), opens the event
// store (BATON_EVENT_STORE, EVENTSTORE_URL; the Postgres adapter migrates its schema) and
// migrates the read-model schema of every service that has one (`services/*/dist/migration.js`).
// Needs DATABASE_URL. Exits 0 when everything is up to date, 1 (with the reason) otherwise.
import console from 'node:console';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

function fail(code, message) {
  console.error(`[migrate] ${code}: ${message}`);
  process.exit(1);
}

const entries = readdirSync(path.join(root, 'services'))
  .sort()
  .map((name) => path.join(root, 'services', name, 'dist', 'migration.js'))
  .filter((file) => existsSync(file));
if (entries.length === 0) fail('NOT_FOUND', 'no services/*/dist/migration.js: build first (npm run build)');

// Everything is loaded before the environment is read, so `node scripts/migrate.mjs` without
// DATABASE_URL proves the compiled modules resolve (scripts/compose-check.sh relies on it).
const { migrateServiceDatabases } = require('@baton/messaging');
const { eventStoreSelectionFromEnv } = require('@baton/event-store');
const services = entries.map((file) => require(file).migration);

const databaseUrl = process.env.DATABASE_URL?.trim();
if (!databaseUrl) fail('VALIDATION_FAILED', 'DATABASE_URL: is required (postgres://user:password@host:5432/db)');

try {
  const result = await migrateServiceDatabases({ databaseUrl, eventStore: eventStoreSelectionFromEnv(process.env), services });
  console.log(`[migrate] event store (${result.eventStore}) ready`);
  for (const s of result.schemas) {
    const what = s.executed.length === 0 ? 'up to date' : `applied ${s.executed.join(', ')}`;
    console.log(`[migrate] ${s.service} (schema ${s.schema}): ${what}`);
  }
} catch (err) {
  fail(err?.code ?? 'INTERNAL', err instanceof Error ? err.message : String(err));
}
