import { randomUUID } from 'node:crypto';
import type { Clock, IdSource } from '../app/ports';

/** The system clock: the only place the service reads wall-clock time. */
export const systemClock: Clock = { now: () => new Date() };

/** Random UUIDs for new event ids. */
export const randomIds: IdSource = { newId: () => randomUUID() };
