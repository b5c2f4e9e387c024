import { pino } from "pino";

/** The structured logger every server component writes to (JSON lines on stdout). */
export type Logger = pino.Logger;

/** Levels a user may pick with --log-level or ZKV_LOG_LEVEL. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A logger at `level`, tagged with what the process is (launcher, node id). */
export function createLogger(level: string, bindings: Record<string, string>): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
