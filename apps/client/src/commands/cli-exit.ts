import type { ExitCode } from "@zkv/protocol";

/**
 * Thrown by a command to end with a specific exit code and message. Errors of the library carry
 * a `code` instead, which `exitCodeFor` (in @zkv/protocol) turns into the exit code.
 */
export class CliExit extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = "CliExit";
  }
}
