import type Consul from "consul";
import type { z } from "zod";
import { InvalidSettingError } from "./errors.js";
import type { MembershipLogger } from "./logger.js";
import { BlockingWatch } from "./watch.js";

/** The JSON stored under `key`; InvalidSettingError saying `expected` when it does not parse. */
export function parseKvJson(key: string, raw: string, expected: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new InvalidSettingError(key, raw.slice(0, 80), expected);
  }
}

/**
 * The `what` (e.g. "placement record") stored under `key` as JSON, checked against its schema;
 * InvalidSettingError when it is not JSON, or not one.
 */
export function parseKvRecord<T>(key: string, raw: string, schema: z.ZodType<T>, what: string): T {
  const parsed = schema.safeParse(parseKvJson(key, raw, `a JSON ${what}`));
  if (!parsed.success) throw new InvalidSettingError(key, raw.slice(0, 80), `a ${what}`);
  return parsed.data;
}

/** Push notifications of the record under `key`, as `parse` reads it; undefined while there is none. */
export function watchKvRecord<T>(
  consul: Consul,
  key: string,
  parse: (raw: string) => T | undefined,
  logger?: MembershipLogger,
): BlockingWatch<T | undefined> {
  return new BlockingWatch<T | undefined>({
    consul,
    method: consul.kv.get as never,
    options: { key },
    transform: (data) => {
      const raw = (data as { Value?: string | null } | null)?.Value;
      return raw ? parse(raw) : undefined;
    },
    fingerprint: (record) => JSON.stringify(record ?? null),
    label: `KV ${key}`,
    ...(logger ? { logger } : {}),
  });
}
