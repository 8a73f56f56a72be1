import { Logger, type LoggerService } from '@nestjs/common';

/** The logger shape the messaging helpers accept: Nest's `LoggerService` (nestjs-pino's logger fits). */
export type MessagingLogger = Pick<LoggerService, 'log' | 'warn' | 'error'> & Partial<Pick<LoggerService, 'debug'>>;

/** A Nest `Logger` with the given context; used when the caller passes none. */
export function defaultLogger(contextName: string): MessagingLogger {
  return new Logger(contextName);
}
