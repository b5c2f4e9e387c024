import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
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
 * append-only file in `aof.dir` fsynced as `aof.fsync` says (always, or everysec), to compare
 * with zkv's --fsync always and batch.
 */
export async function startRedis(aof?: {
  readonly dir: string;
  readonly fsync: "always" | "everysec";
}): Promise<{ port: number; pid: number; stop(): void }> {
  const [port] = (await freePorts(1)) as [number];
  const persistence = aof
    ? ["--appendonly", "yes", "--appendfsync", aof.fsync, "--dir", aof.dir]
    : ["--appendonly", "no"];
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
