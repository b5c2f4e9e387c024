import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts } from "@zkv/membership/testing";

/** One redis-benchmark result row. */
export interface RedisRow {
  readonly rps: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

/** Finds redis-server and redis-benchmark, installing Debian's packages when root and missing. */
export function findRedis(): boolean {
  const has = () =>
    spawnSync("sh", ["-c", "command -v redis-server && command -v redis-benchmark"]).status === 0;
  if (has()) return true;
  if (process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0) {
    console.error("bench: installing redis-server and redis-tools (Debian) for the reference run…");
    spawnSync(
      "sh",
      [
        "-c",
        "apt-get install -y redis-server redis-tools || (apt-get update && apt-get install -y redis-server redis-tools)",
      ],
      {
        stdio: "ignore",
      },
    );
  }
  if (has()) return true;
  console.error(
    "bench: no redis-server/redis-benchmark; install them (Debian: apt-get install redis-server redis-tools) for the Redis column",
  );
  return false;
}

/**
 * A throwaway redis-server on a free port: persistence off (like zkv without --data-dir), or an
 * append-only file in `dir` fsynced as `fsync` says (always, or everysec), to compare with zkv's
 * --fsync always and batch; `replicaOf` makes it a replica of the Redis on that port.
 */
export async function startRedis(
  options: {
    readonly dir?: string;
    readonly fsync?: "always" | "everysec";
    readonly replicaOf?: number;
  } = {},
): Promise<{ port: number; pid: number; stop(): void }> {
  const [port] = (await freePorts(1)) as [number];
  const persistence = [
    ...(options.fsync ? ["--appendonly", "yes", "--appendfsync", options.fsync] : ["--appendonly", "no"]),
    // Where an append-only file goes, and the snapshot a replica is sent when it attaches.
    ...(options.dir ? ["--dir", options.dir] : []),
    ...(options.replicaOf ? ["--replicaof", "127.0.0.1", String(options.replicaOf)] : []),
  ];
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--save", "", ...persistence], {
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    if (
      spawnSync("redis-cli", ["-p", String(port), "ping"])
        .stdout?.toString()
        .includes("PONG")
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, pid: child.pid!, stop: () => child.kill("SIGKILL") };
}

/**
 * A throwaway Redis primary with two replicas (`--replicaof`), each on a free port, persistence
 * off: the reference for zkv's replicated rows. Resolves once the primary has both replicas
 * attached and in sync. Redis replicates asynchronously (a write is acknowledged before any
 * replica has it), so this is the cost of keeping the copies, not of waiting for them.
 */
export async function startRedisReplicated(): Promise<{ port: number; pids: number[]; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "zkv-bench-redis-replicas-"));
  const dirOf = (name: string) => {
    mkdirSync(join(dir, name));
    return join(dir, name);
  };
  const primary = await startRedis({ dir: dirOf("primary") });
  const replicas = [
    await startRedis({ dir: dirOf("r1"), replicaOf: primary.port }),
    await startRedis({ dir: dirOf("r2"), replicaOf: primary.port }),
  ];
  const stop = () => {
    for (const r of [primary, ...replicas]) r.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    const info = execFileSync("redis-cli", ["-p", String(primary.port), "info", "replication"], {
      encoding: "utf8",
    });
    if ((info.match(/state=online/g) ?? []).length === 2) {
      return { port: primary.port, pids: [primary.pid, ...replicas.map((r) => r.pid)], stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  stop();
  throw new Error("redis replicas did not come online");
}

/** Runs redis-benchmark with `args` and returns its CSV rows by test name (SET, GET). */
export function redisBenchmark(port: number, args: readonly string[]): Record<string, RedisRow> {
  const csv = execFileSync("redis-benchmark", ["-p", String(port), "--csv", ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  const rows: Record<string, RedisRow> = {};
  for (const line of csv.trim().split("\n").slice(1)) {
    const cells = line.split(",").map((c) => c.replaceAll('"', ""));
    rows[cells[0]!] = { rps: Number(cells[1]), p50ms: Number(cells[4]), p99ms: Number(cells[6]) };
  }
  return rows;
}

/** Redis' own count of the bytes it allocated, its resident memory, and its key count. */
export function redisMemory(port: number): { usedMemory: number; rss: number; keys: number } {
  const info = execFileSync("redis-cli", ["-p", String(port), "info", "memory"], { encoding: "utf8" });
  const usedMemory = Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
  const rss = Number(/^used_memory_rss:(\d+)/m.exec(info)?.[1]);
  const keys = Number(execFileSync("redis-cli", ["-p", String(port), "dbsize"], { encoding: "utf8" }).trim());
  return { usedMemory, rss, keys };
}

export function flushRedis(port: number): void {
  execFileSync("redis-cli", ["-p", String(port), "flushall"]);
}
