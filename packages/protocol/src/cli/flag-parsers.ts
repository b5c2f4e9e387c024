import { InvalidArgumentError } from "commander";

/** A commander parser for a flag that takes a positive integer; `what` names the flag in the error. */
export const positiveInt =
  (what: string) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };

/** A commander parser for a flag that takes a positive number, fractions allowed (seconds, weights). */
export const positiveNumber =
  (what: string) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a positive number`);
    return n;
  };
