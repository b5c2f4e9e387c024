import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * Asks the kernel for `count` free TCP ports on 127.0.0.1. The ports are released before they are
 * used, so a rare race with another process is possible; callers that bind them retry on
 * "address already in use".
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === "string") throw new Error("no port assigned");
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The first port the kernel hands out for outgoing connections (Linux's default when unknown). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * Finds `count` consecutive free ports (a cluster's node-i listens on base+i), starting from a
 * random base so parallel runs rarely meet. Same release-before-use caveat as freePorts. The
 * range lies below the kernel's ephemeral ports: a port of the range may be bound long after it
 * was found (a node added late), and an outgoing connection of any process (a Consul or ZeroMQ
 * client) could otherwise be given it meanwhile, which made nodes fail "address already in use".
 */
export async function freePortRange(count: number): Promise<number> {
  const top = ephemeralLow() - count;
  const [from, span] = top > 12_000 ? [10_000, top - 10_000] : [20_000, 30_000];
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * span);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await canBind(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
