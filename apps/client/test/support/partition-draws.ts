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

/** What one round of the partition nemesis does: its cuts, held together for `holdMs`. */
export interface PartitionRound {
  readonly cuts: readonly HostCut[];
  readonly holdMs: number;
  /** Whether the round also writes a bulk load while cut. */
  readonly bulk: boolean;
}

/**
 * Draws `rounds` rounds for `hosts` hosts: each cuts one host or two (never the same twice in a
 * round), held 1–6 s. A peer cut takes the host off one peer or all of them, so both the
 * two-sided split (A and B each up, each unable to reach the other) and the lone coordinator
 * come up. Pure: the same seed draws the same schedule.
 */
export function drawPartitionRounds(rng: Prng, hosts: number, rounds: number): PartitionRound[] {
  return Array.from({ length: rounds }, () => {
    const count = hosts > 1 && rng.chance(0.35) ? 2 : 1;
    const order = shuffled(rng, hosts);
    const cuts = order.slice(0, count).map((host): HostCut => {
      const kind = rng.weighted({ peers: 4, clients: 2, consul: 2, cable: 1 });
      if (kind !== "peers") return { kind, host };
      const others = shuffled(rng, hosts).filter((h) => h !== host);
      const from = others.slice(0, rng.int(1, others.length)).sort((a, b) => a - b);
      return { kind, host, from };
    });
    return { cuts, holdMs: rng.int(1000, 6000), bulk: rng.chance(0.5) };
  });
}

function shuffled(rng: Prng, n: number): number[] {
  const items = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** One line per round, for the log and a failure's message: `node-1 from [node-0]; node-2 cable, 3200 ms`. */
export function describeRound(round: PartitionRound): string {
  const cuts = round.cuts.map((c) =>
    c.kind === "peers"
      ? `node-${c.host} from peers [${c.from.map((h) => `node-${h}`).join(" ")}]`
      : `node-${c.host} from ${c.kind === "cable" ? "everyone (cable)" : c.kind}`,
  );
  return `${cuts.join("; ")}, ${round.holdMs} ms${round.bulk ? ", bulk load" : ""}`;
}
