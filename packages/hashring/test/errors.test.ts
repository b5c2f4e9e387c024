import { describe, expect, it } from "vitest";
import {
  ConsistentHashRing,
  createPlacement,
  DuplicateNodeError,
  EmptyPlacementError,
  InvalidArgumentError,
  InvalidNodeError,
  InvalidWeightError,
  type NodeSpec,
  PlacementError,
  PlacementTooLargeError,
  UnknownNodeError,
} from "../src/index.js";
import { algorithms } from "./support.js";

/** Every failure is a typed error with a stable code; the messages are for humans only. */

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PlacementError);
    expect(error).toBeInstanceOf(Error);
    return (error as PlacementError).code;
  }
  throw new Error("expected a PlacementError");
}

describe.each(algorithms)("%s errors", (_, build) => {
  it("EMPTY_PLACEMENT: locate and preferenceList on no nodes", () => {
    const empty = build([]);
    expect(empty.nodes).toEqual([]);
    expect(codeOf(() => empty.locate("k"))).toBe("EMPTY_PLACEMENT");
    expect(codeOf(() => empty.preferenceList("k", 1))).toBe("EMPTY_PLACEMENT");
    expect(codeOf(() => build(["a"]).withoutNode("a").locate("k"))).toBe("EMPTY_PLACEMENT");
  });

  it("DUPLICATE_NODE: an id listed twice or added again", () => {
    expect(codeOf(() => build(["a", "b", "a"]))).toBe("DUPLICATE_NODE");
    expect(codeOf(() => build(["a", { id: "a", weight: 2 }]))).toBe("DUPLICATE_NODE");
    expect(codeOf(() => build(["a"]).withNode({ id: "a", weight: 3 }))).toBe("DUPLICATE_NODE");
  });

  it("UNKNOWN_NODE: removing or weighing an absent id", () => {
    expect(codeOf(() => build(["a"]).withoutNode("b"))).toBe("UNKNOWN_NODE");
    expect(codeOf(() => build(["a"]).weightOf("b"))).toBe("UNKNOWN_NODE");
  });

  it("INVALID_NODE: empty or non-string ids", () => {
    expect(codeOf(() => build([""]))).toBe("INVALID_NODE");
    expect(codeOf(() => build([{ id: "" }]))).toBe("INVALID_NODE");
    expect(codeOf(() => build([{ id: 3 } as unknown as NodeSpec]))).toBe("INVALID_NODE");
    expect(codeOf(() => build(["a"]).withNode(""))).toBe("INVALID_NODE");
  });

  it("INVALID_WEIGHT: zero, negative, NaN, infinite or non-number weights", () => {
    for (const weight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "2" as unknown as number]) {
      expect(codeOf(() => build([{ id: "a", weight }]))).toBe("INVALID_WEIGHT");
    }
  });

  it("INVALID_ARGUMENT: a preference list length that is not a non-negative integer", () => {
    const placement = build(["a", "b"]);
    expect(codeOf(() => placement.preferenceList("k", -1))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => placement.preferenceList("k", 1.5))).toBe("INVALID_ARGUMENT");
    expect(placement.preferenceList("k", 0)).toEqual([]);
  });

  it("accepts the empty key", () => {
    expect(["a", "b"]).toContain(build(["a", "b"]).locate(""));
  });
});

describe("other errors", () => {
  it("INVALID_ARGUMENT: bad vnodes and unknown algorithm names", () => {
    expect(codeOf(() => new ConsistentHashRing(["a"], { vnodes: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new ConsistentHashRing(["a"], { vnodes: 2.5 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => createPlacement("jump" as "ring", ["a"]))).toBe("INVALID_ARGUMENT");
  });

  it("PLACEMENT_TOO_LARGE: a weight that would need billions of tokens", () => {
    expect(codeOf(() => new ConsistentHashRing([{ id: "a", weight: 1e9 }]))).toBe("PLACEMENT_TOO_LARGE");
  });

  it("each class carries its code and name", () => {
    const cases: [PlacementError, string][] = [
      [new EmptyPlacementError(), "EMPTY_PLACEMENT"],
      [new DuplicateNodeError("a"), "DUPLICATE_NODE"],
      [new UnknownNodeError("a"), "UNKNOWN_NODE"],
      [new InvalidNodeError(""), "INVALID_NODE"],
      [new InvalidWeightError("a", 0), "INVALID_WEIGHT"],
      [new InvalidArgumentError("x"), "INVALID_ARGUMENT"],
      [new PlacementTooLargeError("x"), "PLACEMENT_TOO_LARGE"],
    ];
    for (const [error, code] of cases) {
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
    }
  });
});
