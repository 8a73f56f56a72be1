/** The time source of the service; the adapter reads the system clock, tests pass their own. */
export interface Clock {
  now(): Date;
}

/** Source of new ids (event ids, lease holder ids); the adapter uses random UUIDs. */
export interface IdSource {
  newId(): string;
}

/** Trace headers of a request, stored in event metadata so the relay can continue the trace. */
export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}
