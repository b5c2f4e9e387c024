import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { readAll } from "./support/backup-files.js";
import { type ConsulTestCluster, runCli, startReplicatedCluster } from "./support/cluster.js";

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
