import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, ErrorCode, effectivePageSize, resolveLimits, ZkvError } from "../src/index.js";

describe("limits", () => {
  it("defaults to 4 KiB keys, 1 MiB values, 4 MiB messages, depth 32, 10 000 per page", () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxKeyBytes: 4096,
      maxValueBytes: 1_048_576,
      maxMessageBytes: 4_194_304,
      maxJsonDepth: 32,
      maxPageSize: 10_000,
    });
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
  });

  it("fills missing and undefined entries from the defaults", () => {
    const limits = resolveLimits({ maxPageSize: 5, maxKeyBytes: undefined });
    expect(limits).toEqual({ ...DEFAULT_LIMITS, maxPageSize: 5 });
    expect(Object.isFrozen(limits)).toBe(true);
  });

  it("ignores unknown entries", () => {
    expect(resolveLimits({ nope: 1 } as Partial<typeof DEFAULT_LIMITS>)).toEqual(DEFAULT_LIMITS);
  });

  it.each([
    [{ maxKeyBytes: 0 }, "maxKeyBytes"],
    [{ maxValueBytes: -1 }, "maxValueBytes"],
    [{ maxMessageBytes: 1.5 }, "maxMessageBytes"],
    [{ maxJsonDepth: 2 }, "maxJsonDepth"],
    [{ maxPageSize: Number.NaN }, "maxPageSize"],
    [{ maxKeyBytes: 100, maxMessageBytes: 99, maxValueBytes: 10 }, "maxKeyBytes"],
    [{ maxValueBytes: 5_000_000 }, "maxValueBytes"],
    [{ maxPageSize: "10" as unknown as number }, "maxPageSize"],
  ])("refuses %j with INVALID_REQUEST naming %s", (partial, field) => {
    let thrown: unknown;
    try {
      resolveLimits(partial);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ZkvError);
    expect((thrown as ZkvError).code).toBe(ErrorCode.INVALID_REQUEST);
    expect((thrown as ZkvError).field).toBe(field);
  });

  it("caps a GET_ALL limit at maxPageSize, and leaves a plain GET_ALL bound by bytes only", () => {
    const limits = resolveLimits({ maxPageSize: 100 });
    expect(effectivePageSize({ op: "GET_ALL" }, limits)).toBe(Number.POSITIVE_INFINITY);
    expect(effectivePageSize({ op: "GET_ALL", limit: 7 }, limits)).toBe(7);
    expect(effectivePageSize({ op: "GET_ALL", limit: 1_000 }, limits)).toBe(100);
  });
});
