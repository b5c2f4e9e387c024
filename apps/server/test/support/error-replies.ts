import { type ErrorCode, type ErrorReply, isErrorReply, type Reply } from "@zkv/protocol";
import { expect } from "vitest";

/** The reply's error code, or undefined for a success. */
export function errorCode(reply: Reply): ErrorCode | undefined {
  return isErrorReply(reply) ? reply.error.code : undefined;
}

/** Asserts the reply is an error with this code, naming this owner (or none). */
export function expectError(reply: Reply, code: ErrorCode, owner?: string): void {
  expect(isErrorReply(reply), JSON.stringify(reply)).toBe(true);
  expect((reply as ErrorReply).error.code).toBe(code);
  expect((reply as ErrorReply).error.owner).toBe(owner);
}
