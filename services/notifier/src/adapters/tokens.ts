/** Nest injection tokens of the notifier's adapters. */
export const NOTIFICATION_SERVICE = Symbol.for('baton.notifier.NotificationService');
