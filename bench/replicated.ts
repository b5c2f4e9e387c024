import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ZkvClient } from "@zkv/client";
import { ClusterSettings, replication } from "@zkv/membership";
import { freePortRange, startTestConsul } from "@zkv/membership/testing";
import { bulk, concurrent } from "./zkv.js";

const SERVER_MAIN = fileURLToPath(new URL("../apps/server/src/main.ts", import.meta.url));

/** zkv figures of the replicated workloads (n = 3, w = 2), named as in bench/results.json. */
export interface ReplicatedRow {
  readonly name: string;
  readonly zkv: number;
}

/**
 * Replication's cost: 3 nodes keeping 3 copies of every key (w = r = 2), so each write is
 * applied on its coordinator and acknowledged by one more replica before the reply. Replication
 * needs Consul (peers find each other there), so this starts a throwaway agent and a launcher.
 */
export async function replicatedRows(
  callersN: number,
  bulkN: number,
  step: (what: string) => void,
): Promise<ReplicatedRow[]> {
  step(`    zkv n=3 w=2: 50 callers x ${callersN} PUTs, then ${bulkN} bulk PUTs`);
  const consul = await startTestConsul();
  let launcher: ChildProcess | undefined;
  try {
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(3);
    await settings.setReplication(replication(3, 2, 2));
    const basePort = await freePortRange(3);
    launcher = spawn(
      process.execPath,
      [
        ...(process.env.ZKV_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
        ...["--import", "tsx", SERVER_MAIN, "--base-port", String(basePort), "--log-level", "warn"],
      ],
      { stdio: ["ignore", "pipe", "inherit"], detached: true, env: { ...process.env, ...consul.env } },
    );
    let out = "";
    await new Promise<void>((resolve, reject) => {
      launcher!.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("ready")) resolve();
      });
      launcher!.once("exit", (code) => reject(new Error(`zkv launcher exited ${code}`)));
    });
    const client = await ZkvClient.connect({ consul: consul.config, timeoutMs: 30_000 });
    try {
      const con = await concurrent(client, 50, callersN);
      const put = (await bulk(client, bulkN, () => {}, { skipGet: true })).put;
      return [
        { name: "concurrent_ops_n3_w2", zkv: con },
        { name: "bulk_put_n3_w2", zkv: put },
      ];
    } finally {
      await client.close();
    }
  } finally {
    if (launcher?.pid) {
      const exited = new Promise((r) => launcher!.once("exit", r));
      try {
        process.kill(-launcher.pid, "SIGTERM");
        await exited;
      } catch {
        // already gone
      }
    }
    await consul.stop();
  }
}
