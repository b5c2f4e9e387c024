import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import {
  addCurveOptions,
  curveIdentityFromFlags,
  curveServerKeyFromFlags,
  positiveInt,
  positiveNumber,
  versionRequested,
} from "../src/cli/index.js";
import { CurveKeyError } from "../src/index.js";

// The client keypair of ZeroMQ's own CURVE test vectors (public knowledge: never use it for real).
const SECRET = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
const PUBLIC = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
const dir = mkdtempSync(join(tmpdir(), "zkv-cli-flags-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the command lines' shared flags", () => {
  it("positiveInt takes 1 and up, and names the flag otherwise", () => {
    expect(positiveInt("--nodes")("3")).toBe(3);
    for (const bad of ["0", "-1", "1.5", "x", ""])
      expect(() => positiveInt("--nodes")(bad)).toThrow("--nodes must be a positive integer");
  });

  it("positiveNumber takes any number above 0, fractions too, and names the flag otherwise", () => {
    expect([positiveNumber("--wait")("0.5"), positiveNumber("--wait")("120")]).toEqual([0.5, 120]);
    for (const bad of ["0", "-1", "x", "", "Infinity"])
      expect(() => positiveNumber("--wait")(bad)).toThrow("--wait must be a positive number");
  });

  it("--version is asked for only alone, so a command's own --version stays the command's", () => {
    expect(versionRequested(["--version"])).toBe(true);
    expect(versionRequested(["-V"])).toBe(true);
    expect(versionRequested(["get", "--version", "k"])).toBe(false);
    expect(versionRequested([])).toBe(false);
  });

  it("each role gets its own CURVE flags, each with its environment variable", () => {
    const names = (role: "client" | "node") =>
      addCurveOptions(new Command(), role).options.map((o) => [o.long, o.envVar]);
    expect(names("client")).toEqual([
      ["--curve-secret-key-file", "ZKV_CURVE_SECRET_KEY_FILE"],
      ["--curve-server-key-file", "ZKV_CURVE_SERVER_KEY_FILE"],
    ]);
    expect(names("node")).toEqual([
      ["--curve-secret-key-file", "ZKV_CURVE_SECRET_KEY_FILE"],
      ["--curve-public-key-file", "ZKV_CURVE_PUBLIC_KEY_FILE"],
      ["--curve-allowed-clients-file", "ZKV_CURVE_ALLOWED_CLIENTS_FILE"],
    ]);
  });

  it("keys come from files or from the two variables secret stores inject; none: plaintext", () => {
    const file = join(dir, "zkv.key");
    writeFileSync(file, `${SECRET}\n`);
    const pair = { publicKey: PUBLIC, secretKey: SECRET };
    expect(curveIdentityFromFlags({ curveSecretKeyFile: file }, {})).toEqual(pair);
    expect(curveIdentityFromFlags({}, { ZKV_CURVE_SECRET_KEY: SECRET })).toEqual(pair);
    expect(curveIdentityFromFlags({}, {})).toBeUndefined();
    expect(curveServerKeyFromFlags({}, { ZKV_CURVE_SERVER_KEY: PUBLIC })).toBe(PUBLIC);
    expect(() => curveIdentityFromFlags({}, { ZKV_CURVE_SECRET_KEY: "short" })).toThrow(CurveKeyError);
  });
});
