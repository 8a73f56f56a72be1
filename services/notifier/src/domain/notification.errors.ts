import { ConflictError, IllegalTransitionError, NotFoundError } from '@baton/contracts';

/** No delivery has this id. Code NOT_FOUND. */
export class NotificationNotFoundError extends NotFoundError {
  constructor(readonly deliveryId: string) {
    super('notification', deliveryId);
  }
}

/** Retrying a delivery that was delivered. Code ILLEGAL_TRANSITION. */
export class NotificationAlreadyDeliveredError extends IllegalTransitionError {
  constructor(
    readonly deliveryId: string,
    deliveredAt: string | null,
  ) {
    super(`notification ${deliveryId} was already delivered${deliveredAt ? ` at ${deliveredAt}` : ''}`, { deliveryId, from: 'delivered', deliveredAt });
  }
}

/** A delivery id already taken by another message (a routing bug, never a repeat). Code CONFLICT. */
export class NotificationIdTakenError extends ConflictError {
  constructor(readonly deliveryId: string) {
    super(`notification ${deliveryId} already exists with other content`, { deliveryId });
  }
}
