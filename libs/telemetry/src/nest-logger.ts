import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Routes Nest's own log calls (bootstrap, routes, lifecycle) into the pino logger, so a
 * service writes one JSON format. Pass it to `NestFactory.create(module, { logger })` or
 * `app.useLogger()`.
 *
 * @example
 * const app = await NestFactory.create(AppModule, { logger: new PinoNestLogger(logger) });
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    // Nest calls error(message, stack?, context?).
    const [stack, ...rest] = params;
    if (typeof stack === 'string' && stack.includes('\n')) {
      this.write('error', message, rest, { stack });
    } else {
      this.write('error', message, params);
    }
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  setLogLevels(_levels: LogLevel[]): void {
    // The level is LOG_LEVEL, set once on the pino logger; Nest's own filter is not used.
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    params: unknown[],
    extra: Record<string, unknown> = {},
  ): void {
    // Nest passes the context (class name) as the last string parameter.
    const last = params.at(-1);
    const fields: Record<string, unknown> = { ...extra };
    if (typeof last === 'string') fields.context = last;
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
