import { describe, expect, it } from "vitest";
import { ErrorCode, EXIT_CODE_BY_ERROR, ExitCode, exitCodeFor, ZkvError } from "../src/index.js";

describe("exitCodeFor", () => {
  it("maps the errors a script branches on to their own exit codes", () => {
    expect(exitCodeFor(new ZkvError(ErrorCode.NOT_FOUND, "k"))).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeFor(new ZkvError(ErrorCode.CONFLICT, "k"))).toBe(ExitCode.CONFLICT);
    expect(exitCodeFor(new ZkvError(ErrorCode.NODE_UNAVAILABLE, "k"))).toBe(ExitCode.UNAVAILABLE);
    expect(exitCodeFor(Object.assign(new Error("x"), { code: "CONSUL_UNAVAILABLE" }))).toBe(
      ExitCode.UNAVAILABLE,
    );
  });
  it("exits FAILURE for anything unknown, never a prototype member", () => {
    expect(exitCodeFor(new Error("boom"))).toBe(ExitCode.FAILURE);
    expect(exitCodeFor(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(ExitCode.FAILURE);
    expect(exitCodeFor(Object.assign(new Error("x"), { code: "constructor" }))).toBe(ExitCode.FAILURE);
    expect(exitCodeFor(undefined)).toBe(ExitCode.FAILURE);
    expect(exitCodeFor("a string")).toBe(ExitCode.FAILURE);
  });
  it("every exit code in the table is one of ExitCode's, and never OK", () => {
    const allowed = new Set<number>(Object.values(ExitCode));
    for (const [code, exit] of Object.entries(EXIT_CODE_BY_ERROR)) {
      expect(allowed.has(exit), code).toBe(true);
      expect(exit, code).not.toBe(ExitCode.OK);
    }
  });
});
