import { type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs on stderr, so stdout stays free for CLI output such as `init --json`. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tessera' } }, pino.destination(2));
}
