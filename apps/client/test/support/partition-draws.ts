import type { Prng } from "../nemesis/prng.js";

/**
 * One silent cut of one host (packets dropped, nothing refused), as the netns lab makes them:
 * from some of its peers, from the clients, from Consul, or its whole cable pulled.
 */
export type HostCut =
  | { readonly kind: "peers"; readonly host: number; readonly from: readonly number[] }
  | { readonly kind: "clients"; readonly host: number }
  | { readonly kind: "consul"; readonly host: number }
  | { readonly kind: "cable"; readonly host: number };

/** A membership change the round runs through the `zkv` CLI while its cuts hold. */
export interface MembershipChange {
  readonly kind: "add" | "remove";
  readonly node: string;
  /** The host the added node starts in, or the removed one ran in. */
  readonly host: number;
}

/** What one round of the partition nemesis does: its cuts, held together for `holdMs`. */
export interface PartitionRound {
  readonly cuts: readonly HostCut[];
  readonly holdMs: number;
  /** Whether the round also writes a bulk load while cut. */
  readonly bulk: boolean;
  readonly change?: MembershipChange;
  /** The node in each host during the round (an added one included), null for an empty host. */
  readonly hostNodes: readonly (string | null)[];
}

export interface PartitionLab {
  readonly hosts: number;
  /** Nodes at the start, `node-0`… in the first hosts. */
  readonly nodes: number;
  /** Fewest members a remove may leave (the copies of each key). */
  readonly minMembers: number;
}

/**
 * Draws `rounds` rounds: each cuts one running host or two (never the same twice in a round),
 * held 1–6 s; some also add a node in a spare host or remove one, with the CLI, meanwhile. A peer
 * cut takes the host off one peer or all of them, so both the two-sided split (A and B each up,
 * each unable to reach the other) and the lone coordinator come up. Pure: the same seed draws
 * the same schedule. Added nodes get new ids (`node-<nodes>`, …).
 */
export function drawPartitionRounds(rng: Prng, lab: PartitionLab, rounds: number): PartitionRound[] {
  const hostNodes: Array<string | null> = Array.from({ length: lab.hosts }, (_, i) =>
    i < lab.nodes ? `node-${i}` : null,
  );
  let nextId = lab.nodes;
  return Array.from({ length: rounds }, () => {
    const change = drawChange(rng, hostNodes, lab.minMembers, () => `node-${nextId++}`);
    const during = hostNodes.map((n, h) => (change?.kind === "add" && change.host === h ? change.node : n));
    const running = during.flatMap((n, h) => (n === null ? [] : [h]));
    const count = running.length > 1 && rng.chance(0.35) ? 2 : 1;
    const cuts = shuffled(rng, running)
      .slice(0, count)
      .map((host): HostCut => {
        const kind = rng.weighted({ peers: 4, clients: 2, consul: 2, cable: 1 });
        if (kind !== "peers") return { kind, host };
        const others = shuffled(rng, running).filter((h) => h !== host);
        const from = others.slice(0, rng.int(1, others.length)).sort((a, b) => a - b);
        return { kind, host, from };
      });
    const round = { cuts, holdMs: rng.int(1000, 6000), bulk: rng.chance(0.5), change, hostNodes: during };
    if (change) hostNodes[change.host] = change.kind === "add" ? change.node : null;
    return round;
  });
}

function drawChange(
  rng: Prng,
  hostNodes: ReadonlyArray<string | null>,
  minMembers: number,
  newId: () => string,
): MembershipChange | undefined {
  if (!rng.chance(0.4)) return undefined;
  const free = hostNodes.flatMap((n, h) => (n === null ? [h] : []));
  const running = hostNodes.flatMap((n, h) => (n === null ? [] : [h]));
  const kinds = { add: free.length > 0 ? 1 : 0, remove: running.length > minMembers ? 1 : 0 };
  if (kinds.add + kinds.remove === 0) return undefined;
  const kind = rng.weighted(kinds);
  if (kind === "add") return { kind, node: newId(), host: rng.pick(free) };
  const host = rng.pick(running);
  return { kind, node: hostNodes[host]!, host };
}

function shuffled(rng: Prng, items: readonly number[]): number[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One line per round, for the log and a failure's message. */
export function describeRound(round: PartitionRound): string {
  const name = (h: number) => round.hostNodes[h] ?? `host-${h}`;
  const cuts = round.cuts.map((c) =>
    c.kind === "peers"
      ? `${name(c.host)} from peers [${c.from.map(name).join(" ")}]`
      : `${name(c.host)} from ${c.kind === "cable" ? "everyone (cable)" : c.kind}`,
  );
  const change = round.change ? `; ${round.change.kind}-node ${round.change.node}` : "";
  return `${cuts.join("; ")}, ${round.holdMs} ms${round.bulk ? ", bulk load" : ""}${change}`;
}
