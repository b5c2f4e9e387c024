import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { IP_BIN, type NetnsHost } from "./netns.js";

/** nftables' binary, or undefined when there is none. */
const NFT_BIN = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].find((p) => existsSync(p));

/** The table every cut lives in, inside the cut host's own namespace (the root's is untouched). */
const TABLE = "zkvt_partition";

function nft(host: NetnsHost, script: string): void {
  if (!NFT_BIN) throw new Error("nftables' `nft` is not installed (apt-get install nftables)");
  try {
    execFileSync(IP_BIN!, ["netns", "exec", host.ns, NFT_BIN, "-f", "-"], {
      input: script,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`nft in ${host.ns} failed: ${stderr || (err as Error).message}\n${script}`);
  }
}

/** Replaces `host`'s cut with one dropping incoming packets that match `incoming` and outgoing ones that match `outgoing` (nft expressions). */
function cut(host: NetnsHost, incoming: string, outgoing: string): void {
  nft(
    host,
    [
      `table inet ${TABLE}`,
      `delete table inet ${TABLE}`,
      `table inet ${TABLE} {`,
      "  chain incoming { type filter hook input priority 0; policy accept;",
      `    ${incoming} drop`,
      "  }",
      "  chain outgoing { type filter hook output priority 0; policy accept;",
      `    ${outgoing} drop`,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
}

/**
 * Cuts `host` off from `peers` while it keeps its link to the bridge (and so to the root
 * namespace's Consul and clients): every packet between them is dropped silently, in both
 * directions, as a failed switch port or a firewall would. Nothing is refused, so TCP and ZeroMQ
 * find out only by their own timeouts and heartbeats. Replaces any earlier cut of `host`.
 */
export function cutOff(host: NetnsHost, peers: readonly NetnsHost[]): void {
  const addresses = peers.map((p) => p.address).join(", ");
  cut(host, `ip saddr { ${addresses} }`, `ip daddr { ${addresses} }`);
}

/**
 * Cuts the clients at `clientAddress` off from the node listening on `port` in `host`, silently,
 * both ways; the node keeps reaching Consul (at the same address, another port) and its peers,
 * and they it. Replaces any earlier cut of `host`.
 */
export function cutOffClients(host: NetnsHost, clientAddress: string, port: number): void {
  cut(host, `ip saddr ${clientAddress} tcp dport ${port}`, `ip daddr ${clientAddress} tcp sport ${port}`);
}

/**
 * Cuts the node in `host` off from the Consul agent at `consulAddress`:`consulPort` (its HTTP API,
 * all a node uses), silently, both ways; clients and peers still reach it. Replaces any earlier
 * cut of `host`.
 */
export function cutOffConsul(host: NetnsHost, consulAddress: string, consulPort: number): void {
  cut(
    host,
    `ip saddr ${consulAddress} tcp sport ${consulPort}`,
    `ip daddr ${consulAddress} tcp dport ${consulPort}`,
  );
}

/** Undoes a cut: `host` reaches everyone again. Safe when nothing was cut. */
export function reconnect(host: NetnsHost): void {
  nft(host, `table inet ${TABLE}\ndelete table inet ${TABLE}\n`);
}
