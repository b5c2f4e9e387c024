import { InvalidArgumentError } from "commander";

/** A commander parser for a flag that takes a positive integer; `what` names the flag in the error. */
export const positiveInt =
  (what: string) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };
