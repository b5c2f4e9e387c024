import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { trackPid, trackProcessGroup } from "@zkv/membership/testing";

/**
 * A throwaway "LAN" of Linux network namespaces for end-to-end tests: a switch (a bridge in a
 * namespace of its own), the root namespace joined to it with the host address (10.213.N.1/24),
 * and one namespace per simulated host, each joined to the switch by a veth pair and given
 * 10.213.N.(2+i)/24. The namespaces have no default
 * route, so nothing started in them can reach anything but the bridge's subnet. Every name carries
 * the creating process's pid, so parallel runs never collide; destroy() removes all of it.
 */

/** The iproute2 binary, or undefined when there is none. */
export const IP_BIN: string | undefined = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) =>
  existsSync(p),
);

function ip(args: readonly string[]): string {
  if (!IP_BIN) throw new Error("iproute2's `ip` is not installed (apt-get install iproute2)");
  try {
    return execFileSync(IP_BIN, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`ip ${args.join(" ")} failed: ${stderr || (err as Error).message}`);
  }
}

/** Runs `ip …` and ignores failure: for removing things that may not exist. */
function ipQuiet(args: readonly string[]): void {
  try {
    ip(args);
  } catch {
    // not there (any more)
  }
}

const FORBIDDEN = /operation not permitted|permission denied|EPERM|EACCES|read-only file system/i;

/**
 * Why this machine cannot give a test its own network namespaces, or undefined when it can. Only a
 * machine that forbids them (not Linux, not root, no CAP_SYS_ADMIN/CAP_NET_ADMIN, as in an
 * unprivileged container) gets a reason; anything else that goes wrong throws, so a broken setup
 * fails the test instead of quietly skipping it. Probes with a namespace of its own, holding a veth
 * pair, and removes both.
 */
export function netnsUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "creating network namespaces needs root (run the tests as root)";
  if (!IP_BIN)
    throw new Error("iproute2's `ip` is not installed (apt-get install iproute2); cannot create namespaces");
  const probe = `zkvt-${process.pid}-probe`;
  ipQuiet(["netns", "del", probe]);
  try {
    ip(["netns", "add", probe]);
    // Inside the probe namespace: the root namespace is untouched.
    ip(["-n", probe, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"]);
    return undefined;
  } catch (err) {
    const message = (err as Error).message;
    if (FORBIDDEN.test(message)) return `this machine forbids network namespaces/veths: ${message}`;
    throw err;
  } finally {
    ipQuiet(["netns", "del", probe]);
  }
}

/** One simulated host: a namespace, its address and the two ends of its link to the bridge. */
export interface NetnsHost {
  readonly ns: string;
  readonly address: string;
  /** The veth end in the switch's namespace, enslaved to the bridge. */
  readonly hostVeth: string;
  /** The veth end inside the namespace, which holds `address`. */
  readonly nsVeth: string;
}

export interface NetnsLab {
  /** The bridge's name, inside the switch's namespace. */
  readonly bridge: string;
  /** The root namespace's address on the bridge, reachable from every namespace. */
  readonly hostAddress: string;
  readonly hosts: readonly NetnsHost[];
  /** Pulls the host's cable: its veth end on the bridge goes down. */
  linkDown(host: NetnsHost): void;
  linkUp(host: NetnsHost): void;
  /** Starts `node <args>` inside the host's namespace (tracked for the global teardown). */
  spawnNode(host: NetnsHost, args: readonly string[], env: Record<string, string>): ChildProcess;
  /** Deletes the namespaces (the switch's with its bridge) and veths; safe to call twice and after a partial setup. */
  destroy(): void;
}

/** A free /24 under 10.213.0.0/16 that no interface or route of the root namespace uses. */
function pickSubnet(): string {
  const inUse = `${ip(["-4", "-o", "addr", "show"])}\n${ip(["-4", "route", "show", "table", "all"])}`;
  for (let i = 0; i < 254; i++) {
    const octet = 1 + ((process.pid + i) % 254);
    const prefix = `10.213.${octet}.`;
    if (!inUse.includes(prefix)) return prefix;
  }
  throw new Error("no free 10.213.x.0/24 subnet in the root namespace");
}

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes what earlier runs left when their test process died before its afterAll (the global
 * teardown kills processes, not namespaces): every `zkvt-<pid>-*` namespace, and its root link, whose
 * creator is gone. Another run that is still alive keeps its lab.
 */
function sweepAbandonedLabs(): void {
  const names = ip(["netns", "list"])
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "");
  for (const name of names) {
    const pid = Number(/^zkvt-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    ipQuiet(["netns", "del", name]);
    ipQuiet(["link", "del", `zkvt${pid.toString(36)}r`]);
  }
}

/**
 * Creates the switch, the root namespace's port on it and `count` hosts; undoes whatever it did
 * if a step fails. The bridge lives in a namespace of its own (the switch), not in the root one:
 * with br_netfilter loaded (Docker loads it) bridged frames go through the FORWARD chain of the
 * bridge's namespace, and Docker sets the root's to DROP, so two hosts on a root bridge could reach
 * the root namespace but not each other. The switch's namespace has no firewall rules at all.
 */
export function createNetnsLab(count: number): NetnsLab {
  sweepAbandonedLabs();
  const tag = process.pid.toString(36);
  const switchNs = `zkvt-${process.pid}-switch`;
  const bridge = "br0"; // inside switchNs
  /** The root namespace's end of its link to the switch, which holds hostAddress. */
  const rootVeth = `zkvt${tag}r`;
  const hosts: NetnsHost[] = Array.from({ length: count }, (_, i) => {
    const letter = String.fromCharCode(97 + i);
    return {
      ns: `zkvt-${process.pid}-${letter}`,
      address: "",
      hostVeth: `zkvt${tag}${letter}`,
      nsVeth: `zkvt${tag}${letter}n`,
    };
  });

  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    // Deleting a namespace deletes the veth ends in it, and with each its pair.
    for (const h of hosts) ipQuiet(["netns", "del", h.ns]);
    ipQuiet(["netns", "del", switchNs]);
    ipQuiet(["link", "del", rootVeth]);
  };
  // Leftovers of an earlier run that had this pid and died before cleaning up.
  destroy();
  destroyed = false;

  try {
    const prefix = pickSubnet();
    const hostAddress = `${prefix}1`;
    ip(["netns", "add", switchNs]);
    ip(["-n", switchNs, "link", "add", bridge, "type", "bridge"]);
    ip(["-n", switchNs, "link", "set", bridge, "up"]);
    ip(["link", "add", rootVeth, "type", "veth", "peer", "name", `${rootVeth}s`, "netns", switchNs]);
    ip(["-n", switchNs, "link", "set", `${rootVeth}s`, "master", bridge]);
    ip(["-n", switchNs, "link", "set", `${rootVeth}s`, "up"]);
    ip(["addr", "add", `${hostAddress}/24`, "dev", rootVeth]);
    ip(["link", "set", rootVeth, "up"]);
    const ready = hosts.map((h, i) => ({ ...h, address: `${prefix}${2 + i}` }));
    hosts.splice(0, hosts.length, ...ready);
    for (const h of hosts) {
      ip(["netns", "add", h.ns]);
      ip([
        "-n",
        switchNs,
        "link",
        "add",
        h.hostVeth,
        "type",
        "veth",
        "peer",
        "name",
        h.nsVeth,
        "netns",
        h.ns,
      ]);
      ip(["-n", switchNs, "link", "set", h.hostVeth, "master", bridge]);
      ip(["-n", switchNs, "link", "set", h.hostVeth, "up"]);
      ip(["-n", h.ns, "link", "set", "lo", "up"]);
      ip(["-n", h.ns, "addr", "add", `${h.address}/24`, "dev", h.nsVeth]);
      ip(["-n", h.ns, "link", "set", h.nsVeth, "up"]);
    }
    return {
      bridge,
      hostAddress,
      hosts,
      linkDown: (h) => void ip(["-n", switchNs, "link", "set", h.hostVeth, "down"]),
      linkUp: (h) => void ip(["-n", switchNs, "link", "set", h.hostVeth, "up"]),
      spawnNode(h, args, env) {
        // `ip netns exec` execs the command, so the child's pid is node's own.
        const child = spawn(IP_BIN!, ["netns", "exec", h.ns, process.execPath, ...args], {
          env: { ...process.env, ...env },
          stdio: ["ignore", "pipe", "pipe"],
          detached: true,
        });
        trackPid(child.pid);
        trackProcessGroup(child.pid);
        return child;
      },
      destroy,
    };
  } catch (err) {
    destroy();
    throw err;
  }
}
