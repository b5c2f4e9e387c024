import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupFormatError, backupLine, parseBackupLine } from "../src/backup/backup.js";
import { ZkvClient } from "../src/index.js";
import { runCli, startCluster, type TestCluster } from "./support/cluster.js";

describe("backup lines", () => {
  it("round-trip any key and value, one line each", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (key, value) => {
        const line = backupLine({ key, value });
        expect(line.indexOf("\n")).toBe(line.length - 1);
        expect(parseBackupLine(line.slice(0, -1), 1)).toEqual({ key, value });
      }),
    );
  });

  it("name the line that is not an entry", () => {
    expect(parseBackupLine("   ", 3)).toBeUndefined();
    for (const bad of ["{", "[]", '{"key":1,"value":"v"}', '{"key":"k"}', "null"]) {
      expect(() => parseBackupLine(bad, 7)).toThrow(BackupFormatError);
      expect(() => parseBackupLine(bad, 7)).toThrow(/^line 7: /);
    }
  });
});

describe("zkv export / import", () => {
  const dir = mkdtempSync(join(tmpdir(), "zkv-backup-"));
  let cluster: TestCluster | undefined;
  const cli = (args: string[]) =>
    runCli(["--nodes", "3", "--base-port", String(cluster!.basePort), ...args], {});
  const original = new Map<string, string>();
  for (let i = 0; i < 5000; i++) original.set(`k-${i}`, `v-${i}`);
  original.set("", "empty key");
  original.set("üñí\u{1F600}", 'quotes " and \\ and\nnewlines');
  original.set("tab\tkey", "");

  beforeAll(async () => {
    cluster = await startCluster({}, ["--nodes", "3"]);
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("export, wipe, import gives back the same data", async () => {
    const client = await ZkvClient.connect({ static: { nodes: 3, basePort: cluster!.basePort } });
    await client.putMany(original);
    await client.close();
    const file = join(dir, "backup.jsonl");
    const exported = await cli(["export", "--out", file]);
    expect(exported.stderr).toContain(`exported ${original.size} keys`);
    expect(exported.code).toBe(0);
    expect(readFileSync(file, "utf8").trimEnd().split("\n")).toHaveLength(original.size);

    // Wipe: nodes keep data in memory, so a new cluster on the same ports starts empty.
    await cluster!.stop();
    cluster = await startCluster({}, ["--nodes", "3"]);
    expect((await cli(["all", "--json"])).stdout).toBe('{"collection":[]}\n');

    const imported = await cli(["import", file]);
    expect(imported.stderr).toContain(`imported ${original.size} keys`);
    expect(imported.code).toBe(0);
    const all = JSON.parse((await cli(["all", "--json"])).stdout) as {
      collection: Array<{ key: string; value: string }>;
    };
    expect(new Map(all.collection.map((e) => [e.key, e.value]))).toEqual(original);
  });

  it("refuses a file that is not a backup with exit code 65, naming the line", async () => {
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, '{"key":"a","value":"1"}\n{"key":"b"}\n');
    const result = await cli(["import", file]);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain("line 2:");
  });
});
