/**
 * The slice of a structured logger (pino's call shape: fields first, message second) that the
 * membership code uses, so callers pass their own pino instance and tests pass nothing.
 */
export interface MembershipLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const noop = () => {};

/** A logger that drops everything. */
export const silentLogger: MembershipLogger = { debug: noop, info: noop, warn: noop, error: noop };
