import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportEntryLine, exportHeaderLine } from "../src/backup/format.js";
import { type VersionedValue, ZkvClient } from "../src/index.js";
import { runCli, startCluster, type TestCluster } from "./support/cluster.js";

/** Every key's value, version and expiry, as the cluster serves them. */
async function snapshot(client: ZkvClient, keys: readonly string[]): Promise<Map<string, VersionedValue>> {
  const copies = await client.getManyWithVersion(keys);
  const out = new Map<string, VersionedValue>();
  keys.forEach((k, i) => {
    if (copies[i] !== undefined) out.set(k, copies[i]!);
  });
  return out;
}

const HOUR_MS = 3600_000;

describe("zkv export / import on a static cluster", () => {
  const dir = mkdtempSync(join(tmpdir(), "zkv-backup-"));
  let cluster: TestCluster | undefined;
  const cli = (args: string[]) =>
    runCli(["--nodes", "3", "--base-port", String(cluster!.basePort), ...args], {});
  const connect = () => ZkvClient.connect({ static: { nodes: 3, basePort: cluster!.basePort } });
  const original = new Map<string, string>();
  for (let i = 0; i < 5000; i++) original.set(`k-${i}`, `v-${i}`);
  original.set("", "empty key");
  original.set("üñí\u{1F600}", 'quotes " and \\ and\nnewlines');
  original.set("tab\tkey", "");
  const keys = [...original.keys()];
  const expiring = ["k-1", "k-2", "k-3"];
  const file = join(dir, "backup.jsonl");
  let exported: Map<string, VersionedValue>;

  beforeAll(async () => {
    cluster = await startCluster({}, ["--nodes", "3"]);
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("export, wipe, import gives back every key with its value, version and expiry", async () => {
    const client = await connect();
    await client.putMany(original);
    for (const k of expiring) await client.put(k, `v-${k}`, { ttl: HOUR_MS / 1000 });
    exported = await snapshot(client, keys);
    await client.close();
    expect(exported.size).toBe(original.size);
    expect(exported.get("k-1")?.expiresAt).toBeGreaterThan(Date.now());

    const result = await cli(["export", "--out", file]);
    expect(result.stderr).toContain(`exported ${original.size} keys`);
    expect(result.code).toBe(0);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(original.size + 1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ zkv: "export", format: 2 });

    // Wipe: nodes keep data in memory, so a new cluster on the same ports starts empty.
    await cluster!.stop();
    cluster = await startCluster({}, ["--nodes", "3"]);
    expect((await cli(["all", "--json"])).stdout).toBe('{"collection":[]}\n');

    const imported = await cli(["import", file]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain(
      `imported ${original.size} keys, kept 0 newer copies already stored, skipped 0 expired`,
    );
    const restored = await connect();
    expect(await snapshot(restored, keys)).toEqual(exported);
    await restored.close();
  });

  it("importing an older export over newer data changes nothing", async () => {
    const client = await connect();
    try {
      for (const k of ["k-10", "k-11", "k-1"]) await client.put(k, "written after the export");
      const before = await snapshot(client, keys);
      const again = await cli(["--json", "import", file]);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({
        ok: true,
        format: 2,
        imported: 0,
        kept: original.size,
        expired: 0,
      });
      expect(await snapshot(client, keys)).toEqual(before);
      expect(before.get("k-10")?.value).toBe("written after the export");
    } finally {
      await client.close();
    }
  });

  it("skips and counts entries that expired before the import, and keeps the others' expiry", async () => {
    const now = Date.now();
    const aged = join(dir, "aged.jsonl");
    writeFileSync(
      aged,
      exportHeaderLine(now - 2 * HOUR_MS) +
        exportEntryLine({ key: "gone", value: "x", version: 1, expiresAt: now - HOUR_MS }) +
        exportEntryLine({ key: "still", value: "y", version: 1, expiresAt: now + HOUR_MS }),
    );
    const result = await cli(["import", aged]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("imported 1 keys, kept 0 newer copies already stored, skipped 1 expired");
    const client = await connect();
    try {
      expect(await client.get("gone")).toBeUndefined();
      expect(await client.getWithVersion("still")).toEqual({
        value: "y",
        version: 1,
        expiresAt: now + HOUR_MS,
      });
    } finally {
      await client.close();
    }
  });

  it("still imports a values-only file from before versioned exports", async () => {
    const old = join(dir, "format-1.jsonl");
    writeFileSync(old, '{"key":"legacy-a","value":"1"}\n{"key":"legacy-b","value":"2"}\n');
    const result = await cli(["import", old]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("imported 2 keys (a values-only backup");
    const client = await connect();
    try {
      expect(await client.getMany(["legacy-a", "legacy-b"])).toEqual(["1", "2"]);
    } finally {
      await client.close();
    }
  });

  it("refuses a file that is not a backup with exit code 65, naming the line", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"key":"a","value":"1"}\n{"key":"b"}\n');
    const result = await cli(["import", bad]);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain("line 2:");
  });
});
