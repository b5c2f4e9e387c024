import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DuplicateNodeError,
  EmptyPlacementError,
  InvalidArgumentError,
  InvalidNodeError,
  InvalidWeightError,
  PlacementTooLargeError,
  UnknownNodeError,
} from "@zkv/hashring";
import {
  ConsulAddressError,
  ConsulPermissionError,
  ConsulUnavailableError,
  InvalidSettingError,
  LockHeldError,
} from "@zkv/membership";
import { ConsulBinaryNotFoundError } from "@zkv/membership/testing";
import {
  CurveKeyError,
  ERROR_CODES,
  EXIT_CODE_BY_ERROR,
  ExitCode,
  exitCodeFor,
  ZkvError,
} from "@zkv/protocol";
import {
  DataDirError,
  LaunchRefusedError,
  RecordFormatError,
  StoreClosedError,
  StoreCommitError,
} from "@zkv/server";
import { describe, expect, it } from "vitest";
import { BackupFormatError } from "../src/backup/format.js";
import { RebalanceError } from "../src/rebalance/plan.js";
import { RepairError } from "../src/repair/repair.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Every `class X extends …Error` in packages/*\/src and apps/*\/src, as `grep -rn "extends Error"` finds them. */
function errorClassesInSources(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts"))
        for (const m of readFileSync(path, "utf8").matchAll(/\bclass (\w+) extends (\w*Error)\b/g))
          found.push(m[1]!);
    }
  };
  for (const group of ["packages", "apps"])
    for (const name of readdirSync(join(ROOT, group))) walk(join(ROOT, group, name, "src"));
  return found.sort();
}

/** The exit code of each wire code, as the CLIs' help and docs/operations.md#exit-codes say. */
const WIRE_EXIT: Record<string, ExitCode> = {
  NOT_FOUND: ExitCode.NOT_FOUND,
  CONFLICT: ExitCode.CONFLICT,
  NODE_UNAVAILABLE: ExitCode.UNAVAILABLE,
  AUTH_FAILED: ExitCode.NO_PERMISSION,
};

/** One of each code a class can carry; a Record, so a code added to a union fails to compile here. */
const REBALANCE_CODES: Record<RebalanceError["code"], true> = {
  UNKNOWN_NODE: true,
  LAST_NODE: true,
  TOO_FEW_NODES: true,
  DUPLICATE_NODE: true,
  REBALANCE_IN_PROGRESS: true,
  NO_CLUSTER: true,
  NODE_NOT_READY: true,
  BAD_QUORUMS: true,
};
const LAUNCH_CODES: Record<LaunchRefusedError["code"], true> = {
  SETTINGS_DIFFER: true,
  CLUSTER_RUNNING: true,
  PORT_IN_USE: true,
  DATA_WOULD_BE_ORPHANED: true,
};
const DATA_DIR_CODES: Record<DataDirError["code"], true> = { DATA_DIR_LOCKED: true, DATA_DIR_UNUSABLE: true };
const codes = <C extends string>(record: Record<C, true>) => Object.keys(record) as C[];

/** Each error class: instances covering its codes, and the exit code the docs give them. */
const CLASSES: Record<string, { readonly errors: () => Error[]; readonly exit: (e: Error) => ExitCode }> = {
  ZkvError: {
    errors: () => ERROR_CODES.map((c) => new ZkvError(c, "x")),
    exit: (e) => WIRE_EXIT[(e as ZkvError).code] ?? ExitCode.FAILURE,
  },
  EmptyPlacementError: { errors: () => [new EmptyPlacementError()], exit: () => ExitCode.FAILURE },
  DuplicateNodeError: { errors: () => [new DuplicateNodeError("n")], exit: () => ExitCode.REFUSED },
  UnknownNodeError: { errors: () => [new UnknownNodeError("n")], exit: () => ExitCode.REFUSED },
  InvalidNodeError: { errors: () => [new InvalidNodeError("")], exit: () => ExitCode.FAILURE },
  InvalidWeightError: { errors: () => [new InvalidWeightError("n", 0)], exit: () => ExitCode.FAILURE },
  InvalidArgumentError: { errors: () => [new InvalidArgumentError("x")], exit: () => ExitCode.FAILURE },
  PlacementTooLargeError: { errors: () => [new PlacementTooLargeError("x")], exit: () => ExitCode.FAILURE },
  ConsulAddressError: { errors: () => [new ConsulAddressError("x")], exit: () => ExitCode.USAGE },
  ConsulUnavailableError: {
    errors: () => [new ConsulUnavailableError("x")],
    exit: () => ExitCode.UNAVAILABLE,
  },
  ConsulPermissionError: {
    errors: () => [new ConsulPermissionError("x")],
    exit: () => ExitCode.NO_PERMISSION,
  },
  InvalidSettingError: {
    errors: () => [new InvalidSettingError("k", "v", "x")],
    exit: () => ExitCode.FAILURE,
  },
  LockHeldError: { errors: () => [new LockHeldError("pid@host")], exit: () => ExitCode.REFUSED },
  ConsulBinaryNotFoundError: {
    errors: () => [new ConsulBinaryNotFoundError([])],
    exit: () => ExitCode.FAILURE,
  },
  CurveKeyError: { errors: () => [new CurveKeyError("file", "x")], exit: () => ExitCode.CONFIG },
  RebalanceError: {
    errors: () => codes(REBALANCE_CODES).map((c) => new RebalanceError(c, "x")),
    exit: () => ExitCode.REFUSED,
  },
  BackupFormatError: { errors: () => [new BackupFormatError(1, "x")], exit: () => ExitCode.DATA_ERROR },
  RepairError: { errors: () => [new RepairError("UNKNOWN_NODE", "x")], exit: () => ExitCode.REFUSED },
  LaunchRefusedError: {
    errors: () => codes(LAUNCH_CODES).map((c) => new LaunchRefusedError(c, "x")),
    exit: () => ExitCode.REFUSED,
  },
  DataDirError: {
    errors: () => codes(DATA_DIR_CODES).map((c) => new DataDirError(c, "/d", "x")),
    exit: () => ExitCode.CANT_CREATE,
  },
  RecordFormatError: { errors: () => [new RecordFormatError("x")], exit: () => ExitCode.FAILURE },
  StoreClosedError: { errors: () => [new StoreClosedError("put")], exit: () => ExitCode.FAILURE },
  StoreCommitError: { errors: () => [new StoreCommitError("MDB_MAP_FULL")], exit: () => ExitCode.FAILURE },
};

/** Error classes with no code of their own, and why they need none. */
const WITHOUT_CODE: Record<string, string> = {
  PlacementError: "abstract: each of its subclasses is listed",
  CliExit: "a zkv command's own ending: it carries its exit code",
  HttpError: "the dashboard's refusal of an HTTP request: a status for a browser, never a process's exit",
};

describe("one error model: every error class has a code, and that code its documented exit code", () => {
  it("every error class in the sources is listed here, and nothing listed is gone", () => {
    expect(errorClassesInSources()).toEqual(Object.keys({ ...CLASSES, ...WITHOUT_CODE }).sort());
  });

  it.each(Object.entries(CLASSES))("%s", (_name, { errors, exit }) => {
    for (const error of errors()) {
      const code = (error as { code?: unknown }).code;
      expect(typeof code, error.message).toBe("string");
      // Listed on purpose, FAILURE included: a code that only falls through to FAILURE is a bug.
      expect(Object.hasOwn(EXIT_CODE_BY_ERROR, code as string), `${code} in EXIT_CODE_BY_ERROR`).toBe(true);
      expect(exitCodeFor(error), code as string).toBe(exit(error));
    }
  });
});
