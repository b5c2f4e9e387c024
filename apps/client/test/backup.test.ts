import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BackupFormatError,
  BackupReader,
  type ExportedEntry,
  exportEntryLine,
  exportHeaderLine,
} from "../src/backup/format.js";
import { type VersionedValue, ZkvClient } from "../src/index.js";
import {
  type ConsulTestCluster,
  runCli,
  startCluster,
  startReplicatedCluster,
  type TestCluster,
} from "./support/cluster.js";

const entryArb: fc.Arbitrary<ExportedEntry> = fc
  .record({
    key: fc.string({ unit: "binary" }),
    value: fc.string({ unit: "binary" }),
    version: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    expiresAt: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
  })
  .map(({ expiresAt, ...rest }) => (expiresAt === undefined ? rest : { ...rest, expiresAt }));

/** Reads `text` as a whole backup file: its items, in order. */
function readAll(text: string) {
  const reader = new BackupReader();
  const items = text
    .split("\n")
    .map((line) => reader.read(line))
    .filter((i) => i !== undefined);
  return { reader, items };
}

describe("the backup format", () => {
  it("round-trips any entries, one line each after a header that says format 2 (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0 }), fc.array(entryArb, { maxLength: 5 }), (exportedAt, entries) => {
        const lines = [exportHeaderLine(exportedAt), ...entries.map(exportEntryLine)];
        for (const line of lines) expect(line.indexOf("\n")).toBe(line.length - 1);
        const { reader, items } = readAll(lines.join(""));
        expect(reader.format).toBe(2);
        expect(items).toEqual(entries.map((entry) => ({ format: 2, entry })));
      }),
    );
  });

  it("reads a file without a header as format 1, values only", () => {
    const { reader, items } = readAll('{"key":"a","value":"1"}\n\n{"key":"b","value":"2","version":5}\n');
    expect(reader.format).toBe(1);
    expect(items).toEqual([
      { format: 1, entry: { key: "a", value: "1" } },
      { format: 1, entry: { key: "b", value: "2" } },
    ]);
  });

  it("names the line that does not fit its format", () => {
    const header = exportHeaderLine(1).trimEnd();
    const cases: Array<[string, RegExp]> = [
      ["{", /^line 1: not JSON/],
      ["[]", /^line 1: expected an object/],
      ['{"key":1,"value":"v"}', /^line 1: "key" must be a string/],
      ['{"key":"k"}', /^line 1: "value" must be a string/],
      [`${header}\n{"key":"k","value":"v"}`, /^line 2: "version" must be an integer/],
      [`${header}\n{"key":"k","value":"v","version":1,"expiresAt":-5}`, /^line 2: "expiresAt"/],
      [`${header}\n${header}`, /^line 2: a header belongs on the first line only/],
      ['{"zkv":"export","format":3}', /^line 1: format 3 was written by a newer zkv/],
      ['{"zkv":"import","format":2}', /^line 1: a header says "zkv":"export"/],
    ];
    for (const [text, message] of cases) {
      expect(() => readAll(text)).toThrow(BackupFormatError);
      expect(() => readAll(text)).toThrow(message);
    }
  });
});

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

describe("zkv import on a replicated cluster (3 nodes, n=3)", () => {
  const dir = mkdtempSync(join(tmpdir(), "zkv-backup-replicated-"));
  let replicated: ConsulTestCluster | undefined;

  beforeAll(async () => {
    replicated = await startReplicatedCluster(3, 3);
  });
  afterAll(async () => {
    await replicated?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an older export neither brings back a deleted key nor replaces a newer value, on any replica", async () => {
    const { consul } = replicated!;
    const client = await ZkvClient.connect({ consul: consul.config });
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `r-${i}`);
      await client.putMany(keys.map((k) => [k, `v-${k}`] as const));
      const file = join(dir, "backup.jsonl");
      const exported = await runCli(["export", "--out", file], consul.env);
      expect(exported.code, exported.stderr).toBe(0);
      await client.delete("r-0");
      await client.put("r-1", "newer");
      const imported = await runCli(["--json", "import", file], consul.env);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 0, kept: keys.length });
      // Each replica, read on its own: no read repair can hide a replica that took the old copy.
      for (const node of ["node-0", "node-1", "node-2"]) {
        const held = new Map<string, string>();
        for await (const { key, value } of client.scanNode(node)) held.set(key, value);
        expect(held.has("r-0")).toBe(false);
        expect(held.get("r-1")).toBe("newer");
        expect(held.get("r-2")).toBe("v-r-2");
      }
    } finally {
      await client.close();
    }
  });
  it("exports each key's newest copy when replicas disagree: never a stale replica's value or a deleted key", async () => {
    const { consul } = replicated!;
    const client = await ZkvClient.connect({ consul: consul.config });
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `d-${i}`);
      await client.putMany(keys.map((k) => [k, `old-${k}`] as const));
      // Behind the coordinators' backs, two of each key's three replicas take a newer copy (a
      // write whose third copy never landed): d-0 a deletion, d-1 a new value. The third replica
      // still lists the old value, at an older version.
      const newer = async (key: string, value: string | undefined) => {
        const current = (await client.getWithVersion(key))!;
        const [a, b] = client.replicasOf(key);
        for (const node of [a!, b!]) {
          const entry = { key, version: current.version + 1, ...(value === undefined ? {} : { value }) };
          await client.request(node, { op: "REPLICATE", entries: [entry] });
        }
      };
      await newer("d-0", undefined);
      await newer("d-1", "new-d-1");
      const file = join(dir, "divergent.jsonl");
      const exported = await runCli(["export", "--out", file], consul.env);
      expect(exported.code, exported.stderr).toBe(0);
      const { items } = readAll(readFileSync(file, "utf8"));
      const values = new Map(
        items.filter((i) => i.entry.key.startsWith("d-")).map((i) => [i.entry.key, i.entry.value]),
      );
      expect(values.size).toBe(keys.length - 1);
      expect(values.has("d-0")).toBe(false);
      expect(values.get("d-1")).toBe("new-d-1");
      expect(values.get("d-2")).toBe("old-d-2");
    } finally {
      await client.close();
    }
  });
});
