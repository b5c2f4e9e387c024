import {
  AE_TREE_DEPTH,
  AeHashesReplySchema,
  type AeHashesRequest,
  AeKeysReplySchema,
  type AeKeysRequest,
  AeRootsReplySchema,
  type AeRootsRequest,
  ReplicaGetReplySchema,
  type ReplicaGetRequest,
  type Reply,
  type TreeNodeSummary,
} from "@zkv/protocol";
import type { z } from "zod";
import { copyOf, type Versioned } from "../store/index.js";
import type { KeyListing, ReplicaSide } from "./exchange.js";
import type { LeafAsk, NodeAsk, RangeRoot } from "./tree-diff.js";

/** Ranges per AE_HASHES / AE_KEYS message (the protocol's cap). */
const RANGES_PER_MESSAGE = 1000;
/** Keys per REPLICA_GET: small, since each answer may carry a value of up to 1 MiB. */
const KEYS_PER_READ = 100;

/** What anti-entropy asks a peer (the link gives each request its id). */
export type AePeerRequest =
  | Omit<AeRootsRequest, "id">
  | Omit<AeHashesRequest, "id">
  | Omit<AeKeysRequest, "id">
  | Omit<ReplicaGetRequest, "id">;

/** What talking to a peer needs: the node's links, and its batched REPLICATE. */
export interface RemoteSideOptions {
  readonly self: string;
  readonly peer: string;
  /** The placement epoch this node compares at; a peer at another one refuses (TRY_AGAIN). */
  readonly epoch: number;
  readonly request: (peer: string, request: AePeerRequest, timeoutMs: number) => Promise<Reply>;
  /** Sends one copy to the peer (coalesced into REPLICATE); resolves once applied there. */
  readonly push: (peer: string, key: string, copy: Versioned) => Promise<unknown>;
  /** How long a request answered from memory may take (AE_ROOTS, stored levels, REPLICA_GET). */
  readonly timeoutMs: number;
  /** How long one that scans every key the peer holds may take (leaves, AE_KEYS). */
  readonly scanTimeoutMs: number;
}

/**
 * The peer's side of a comparison, over its link: AE_ROOTS, AE_HASHES and AE_KEYS for its trees,
 * REPLICA_GET and REPLICATE for copies. Replies are checked against their schemas (a peer of
 * another version must not corrupt a comparison), and `bytes` adds up what went each way (JSON,
 * approximately), for the node's metrics.
 */
export class RemoteSide implements ReplicaSide {
  bytes = 0;

  constructor(private readonly o: RemoteSideOptions) {}

  async roots(): Promise<RangeRoot[]> {
    const request = { op: "AE_ROOTS" as const, epoch: this.o.epoch, peer: this.o.self };
    return (await this.#ask(request, AeRootsReplySchema)).ranges;
  }

  async hashes(asks: readonly NodeAsk[]): Promise<TreeNodeSummary[][]> {
    const out: TreeNodeSummary[][] = [];
    for (let i = 0; i < asks.length; i += RANGES_PER_MESSAGE) {
      const ranges = asks
        .slice(i, i + RANGES_PER_MESSAGE)
        .map((a) => ({ replicas: [...a.replicas], level: a.level, nodes: [...a.nodes] }));
      const reply = await this.#ask({ op: "AE_HASHES", epoch: this.o.epoch, ranges }, AeHashesReplySchema);
      out.push(...reply.ranges.map((r) => r.nodes));
    }
    return out;
  }

  async keys(asks: readonly LeafAsk[]): Promise<KeyListing[]> {
    const out: KeyListing[] = [];
    for (let i = 0; i < asks.length; i += RANGES_PER_MESSAGE) {
      const ranges = asks
        .slice(i, i + RANGES_PER_MESSAGE)
        .map((a) => ({ replicas: [...a.replicas], leaves: [...a.leaves] }));
      const reply = await this.#ask({ op: "AE_KEYS", epoch: this.o.epoch, ranges }, AeKeysReplySchema);
      out.push(...reply.ranges);
    }
    return out;
  }

  async read(keys: readonly string[]): Promise<Array<Versioned | undefined>> {
    const out: Array<Versioned | undefined> = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_READ) {
      const asked = keys.slice(i, i + KEYS_PER_READ);
      const reply = await this.#ask({ op: "REPLICA_GET", keys: asked }, ReplicaGetReplySchema);
      asked.forEach((key, j) => {
        const e = reply.entries[j];
        if (e?.key !== key) throw new Error(`peer ${this.o.peer} answered REPLICA_GET out of order`);
        out.push(e.version === undefined ? undefined : copyOf({ ...e, version: e.version }));
      });
    }
    return out;
  }

  /** Pushes every copy; resolves to how many the peer acknowledged (the rest wait for a later pass). */
  async write(copies: ReadonlyArray<readonly [string, Versioned]>): Promise<number> {
    const sent = await Promise.allSettled(copies.map(([key, copy]) => this.o.push(this.o.peer, key, copy)));
    for (const [key, copy] of copies) this.bytes += key.length + (copy.value?.length ?? 0) + 48;
    return sent.filter((s) => s.status === "fulfilled").length;
  }

  async #ask<S extends z.ZodType>(request: AePeerRequest, schema: S): Promise<z.infer<S>> {
    const scans =
      request.op === "AE_KEYS" ||
      (request.op === "AE_HASHES" && request.ranges.some((r) => r.level === AE_TREE_DEPTH));
    const reply = await this.o.request(this.o.peer, request, scans ? this.o.scanTimeoutMs : this.o.timeoutMs);
    this.bytes += Buffer.byteLength(JSON.stringify(request)) + Buffer.byteLength(JSON.stringify(reply));
    return schema.parse(reply);
  }
}
