/** The time source of the service; the adapter reads the system clock, tests pass a fixed one. */
export interface Clock {
  now(): Date;
}

/** Source of new ids (event ids); the adapter uses random UUIDs. */
export interface IdSource {
  newId(): string;
}
