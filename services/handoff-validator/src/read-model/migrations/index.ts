import type { Migration } from '@baton/read-models';
import * as createArtifactsAndHandoffs from './2026_11_22_0001_create_artifacts_and_handoffs';

/** Every migration of schema `baton_handoff`, by name (imported statically; no directory scanning). */
export const handoffMigrations: Readonly<Record<string, Migration>> = {
  '2026_11_22_0001_create_artifacts_and_handoffs': createArtifactsAndHandoffs,
};
