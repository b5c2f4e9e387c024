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

/**
 * Cuts `host` off from `peers` while it keeps its link to the bridge (and so to the root
 * namespace's Consul and clients): every packet between them is dropped silently, in both
 * directions, as a failed switch port or a firewall would. Nothing is refused, so TCP and ZeroMQ
 * find out only by their own timeouts and heartbeats. Replaces any earlier cut of `host`.
 */
export function cutOff(host: NetnsHost, peers: readonly NetnsHost[]): void {
  const addresses = peers.map((p) => p.address).join(", ");
  nft(
    host,
    [
      `table inet ${TABLE}`,
      `delete table inet ${TABLE}`,
      `table inet ${TABLE} {`,
      "  chain incoming { type filter hook input priority 0; policy accept;",
      `    ip saddr { ${addresses} } drop`,
      "  }",
      "  chain outgoing { type filter hook output priority 0; policy accept;",
      `    ip daddr { ${addresses} } drop`,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
}

/** Undoes cutOff: `host` reaches its peers again. Safe when nothing was cut. */
export function reconnect(host: NetnsHost): void {
  nft(host, `table inet ${TABLE}\ndelete table inet ${TABLE}\n`);
}
