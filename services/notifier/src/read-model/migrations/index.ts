import type { Migration } from '@baton/read-models';
import * as createNotifier from './2026_12_06_0001_create_notifier';

/** Every migration of schema `baton_notifier`, by name (imported statically; no directory scanning). */
export const notifierMigrations: Readonly<Record<string, Migration>> = {
  '2026_12_06_0001_create_notifier': createNotifier,
};
