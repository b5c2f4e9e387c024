import { z } from "zod";
import { zodErrorToZkv } from "./issues.js";
import type { GetAllRequest } from "./schemas/key-ops.js";

/**
 * Size and shape limits applied to every message, in UTF-8 bytes where sizes.
 *
 * Why one object: the server, the client and the tests must agree on the
 * same numbers, and passing one frozen object keeps hot paths free of
 * per-call option merging.
 */
export interface Limits {
  /** Largest key, in UTF-8 bytes (`Buffer.byteLength`). */
  readonly maxKeyBytes: number;
  /** Largest value, in UTF-8 bytes. */
  readonly maxValueBytes: number;
  /** Largest single frame (request or reply), in bytes, checked before any parsing. */
  readonly maxMessageBytes: number;
  /** Deepest bracket nesting accepted in a JSON message (`{}` is depth 1). */
  readonly maxJsonDepth: number;
  /** Largest `limit` a GET_ALL may ask for (a larger one is lowered to this). */
  readonly maxPageSize: number;
}

/**
 * Defaults: 4 KiB keys, 1 MiB values, 4 MiB messages, depth 32, 10 000 entries a page.
 *
 * Why these: a key is an identifier, not a payload; a 1 MiB value plus its
 * key and JSON escaping still fits a 4 MiB frame; zkv's own messages nest at
 * most 3 deep, so 32 is generous while keeping hostile nesting cheap to refuse.
 */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxKeyBytes: 4 * 1024,
  maxValueBytes: 1024 * 1024,
  maxMessageBytes: 4 * 1024 * 1024,
  maxJsonDepth: 32,
  maxPageSize: 10_000,
});

const positiveInt = z.number().int().positive();

/**
 * Schema of a complete {@link Limits}. `maxJsonDepth` is at least 3 because a
 * GET_ALL reply (`{"collection":[{…}]}`) nests three deep and must stay decodable.
 */
export const LimitsSchema = z
  .object({
    maxKeyBytes: positiveInt,
    maxValueBytes: positiveInt,
    maxMessageBytes: positiveInt,
    maxJsonDepth: positiveInt.min(3),
    maxPageSize: positiveInt,
  })
  .refine((l) => l.maxKeyBytes <= l.maxMessageBytes, {
    message: "maxKeyBytes must not exceed maxMessageBytes",
    path: ["maxKeyBytes"],
  })
  .refine((l) => l.maxValueBytes <= l.maxMessageBytes, {
    message: "maxValueBytes must not exceed maxMessageBytes",
    path: ["maxValueBytes"],
  });

/**
 * Fills missing limits from {@link DEFAULT_LIMITS} and validates the result.
 *
 * Why it throws instead of returning a value: it runs once at start-up on
 * configuration, where failing loudly is the right behaviour. The thrown
 * {@link ZkvError} has code INVALID_REQUEST and `field` naming the bad limit.
 * `undefined` entries count as missing, so env-derived configs can pass through.
 */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  const merged: Record<string, unknown> = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(partial)) {
    if (value !== undefined && Object.hasOwn(DEFAULT_LIMITS, name)) merged[name] = value;
  }
  const result = LimitsSchema.safeParse(merged);
  if (!result.success) throw zodErrorToZkv(result.error, "limits");
  return Object.freeze(result.data);
}

/**
 * How many entries a GET_ALL page may hold: the request's `limit`, capped at
 * `maxPageSize`; without a limit, no count cap at all (the page is still bound
 * by `maxMessageBytes`), so the seed's plain GET_ALL returns everything that
 * fits in one message.
 *
 * Why capped rather than refused: clients need not know the server's
 * configuration; a page smaller than asked simply comes with a cursor.
 */
export function effectivePageSize(request: GetAllRequest, limits: Limits = DEFAULT_LIMITS): number {
  return request.limit === undefined ? Number.POSITIVE_INFINITY : Math.min(request.limit, limits.maxPageSize);
}
