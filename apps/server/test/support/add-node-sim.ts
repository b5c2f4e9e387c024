import type { Placement } from "@zkv/hashring";
import {
  DEFAULT_LIMITS,
  ErrorCode,
  isErrorReply,
  type Limits,
  type MigrateCountReply,
  type MigrateFetchReply,
  type MovedEntry,
  type Reply,
  type Request,
} from "@zkv/protocol";
import { expect } from "vitest";
import { ClusterView } from "../../src/cluster/ownership.js";
import type { HandlerContext } from "../../src/requests/handler.js";
import { MemoryStore } from "../../src/store/index.js";
import { handleNow } from "../helpers.js";
import { current, next } from "./pinned-ring.js";

/**
 * Node b joins a one-node cluster {a}, simulated in-process: two stores, two ClusterViews, every
 * request through handleRequest, the rebalancer's steps played by hand. The placements, `current`
 * and `next`, are pinned by hand in pinned-ring.ts.
 */
const EPOCH = 0;

/** The two simulated nodes. */
export type NodeId = "a" | "b";
/** The client requests the simulation routes. */
export type KeyRequest = Extract<Request, { op: "PUT" | "GET_ONE" | "DELETE" }>;

/** One simulated node: its store, its view of the cluster, its handler context. */
export interface SimNode {
  readonly store: MemoryStore;
  readonly cluster: ClusterView;
  readonly ctx: HandlerContext;
}

/** Nodes a and b, each request answered by handleRequest; the rebalancer's steps are methods. */
export class SimCluster {
  readonly nodes: Record<NodeId, SimNode>;

  constructor(limits: Limits = DEFAULT_LIMITS) {
    const node = (id: NodeId): SimNode => {
      const store = new MemoryStore();
      const cluster = new ClusterView(id);
      return { store, cluster, ctx: { nodeId: id, store, limits, cluster } };
    };
    this.nodes = { a: node("a"), b: node("b") };
    this.nodes.a.cluster.setPlacement(EPOCH, current); // b is new: it learns the placement at begin
  }

  get a(): SimNode {
    return this.nodes.a;
  }

  get b(): SimNode {
    return this.nodes.b;
  }

  send(to: NodeId, request: Request): Reply {
    return handleNow(request, this.nodes[to].ctx);
  }

  /** MIGRATION begin on both nodes, as the rebalancer (or a resumed one) sends it. */
  begin(run: string): void {
    for (const n of [this.a, this.b])
      expect(n.cluster.beginMigration(run, EPOCH, current, next)).toBeDefined();
  }

  /** MIGRATION end on both nodes. */
  end(): void {
    for (const n of [this.a, this.b]) expect(n.cluster.setPlacement(EPOCH + 1, next)).toBe(true);
  }

  fetch(run: string, keys: string[]): MigrateFetchReply {
    return this.send("a", { op: "MIGRATE_FETCH", run, keys }) as MigrateFetchReply;
  }

  sweep(run: string, limit?: number): MigrateFetchReply {
    const request: Request = { op: "MIGRATE_FETCH", run, sweep: true, ...(limit ? { limit } : {}) };
    return this.send("a", request) as MigrateFetchReply;
  }

  import(run: string, entries: MovedEntry[]): MigrateCountReply {
    return this.send("b", { op: "IMPORT", run, entries }) as MigrateCountReply;
  }

  commit(run: string, keys: string[]): MigrateCountReply {
    return this.send("a", { op: "MIGRATE_COMMIT", run, keys }) as MigrateCountReply;
  }

  /**
   * A key request as a client sends it: to the owner under `placement`, then to whichever node a
   * WRONG_NODE or ASK names (with `asking` after an ASK). Returns the final reply (TRY_AGAIN
   * included: retrying later is up to the caller) and the nodes visited.
   */
  route(request: KeyRequest, placement: Placement = current): { reply: Reply; path: string[] } {
    let target = placement.locate(request.key) as NodeId;
    let asking = false;
    const path: string[] = [];
    for (let hop = 0; hop < 4; hop++) {
      path.push(asking ? `${target}(asking)` : target);
      const reply = this.send(target, asking ? { ...request, asking: true } : request);
      if (!isErrorReply(reply)) return { reply, path };
      const { code, owner } = reply.error;
      if (code !== ErrorCode.WRONG_NODE && code !== ErrorCode.ASK) return { reply, path };
      expect(owner === "a" || owner === "b", `owner ${owner}`).toBe(true);
      target = owner as NodeId;
      asking = code === ErrorCode.ASK;
    }
    throw new Error(`redirect loop: ${path.join(" → ")}`);
  }
}
