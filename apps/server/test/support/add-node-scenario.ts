import type { Placement } from "@zkv/hashring";
import { DEFAULT_LIMITS, ErrorCode, type MovedEntry } from "@zkv/protocol";
import fc from "fast-check";
import { expect, vi } from "vitest";
import { FENCE_LEASE_MS } from "../../src/cluster/migration.js";
import { type KeyRequest, type NodeId, SimCluster, type SimNode } from "./add-node-sim.js";
import { errorCode } from "./error-replies.js";
import { current, next } from "./pinned-ring.js";

// Interleavings of client requests and mover steps for the add-node simulation: the commands,
// their generator, and a Scenario that plays them against a model of acknowledged writes.

/** 50, 100 and 250 stay on a; 120, 150 and 200 move to b. */
export const KEYS = ["50", "100", "120", "150", "200", "250"] as const;

/** A client request or a step of the mover (or its death, or a fence lease running out). */
export type Command =
  | { readonly kind: "put" | "delete" | "get"; readonly key: string }
  | { readonly kind: "retry" }
  | { readonly kind: "fetch"; readonly size: number }
  | { readonly kind: "sweep"; readonly limit: number }
  | { readonly kind: "import" }
  | { readonly kind: "commit" }
  | { readonly kind: "kill" }
  | { readonly kind: "expire" };

const keyArb = fc.constantFrom(...KEYS);
/** Commands, client requests most often. */
export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("put" as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("get" as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: "retry" as const }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("fetch" as const), size: fc.integer({ min: 1, max: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("sweep" as const), limit: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "import" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "commit" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "kill" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "expire" as const }) },
);

/** Plays a scenario against a SimCluster and a reference Map of acknowledged writes. */
export class Scenario {
  // 400-byte messages: a fetch budget of 100 bytes, two or three entries per batch.
  readonly c = new SimCluster({ ...DEFAULT_LIMITS, maxMessageBytes: 400 });
  readonly model = new Map<string, string>();
  /** Requests answered TRY_AGAIN, to be retried later. */
  readonly deferred: KeyRequest[] = [];
  #values = 0;
  #runs = 0;
  #run = "";
  #plan: string[] = [];
  #offset = 0;
  /** The batch in flight: fetched, then imported, then committed. */
  #batch: { entries: MovedEntry[]; imported: boolean } | undefined;

  constructor(initial: readonly string[]) {
    for (const key of initial) this.client({ op: "PUT", key, value: this.#value() });
    this.#newRun();
  }

  #value(): string {
    return `v${this.#values++}`;
  }

  /** MIGRATION begin under a fresh run id, then the rebalancer's scan of a. */
  #newRun(): void {
    this.#run = `run-${++this.#runs}`;
    this.c.begin(this.#run);
    this.#plan = [...this.c.a.store.scan(undefined)].map((e) => e.key);
    this.#offset = 0;
    this.#batch = undefined;
  }

  client(request: KeyRequest, placement: Placement = current): void {
    const { reply, path } = this.c.route(request, placement);
    const where = `${request.op} ${request.key} via ${path.join(" → ")}`;
    if (errorCode(reply) === ErrorCode.TRY_AGAIN) {
      this.deferred.push(request);
      return;
    }
    switch (request.op) {
      case "PUT":
        expect(reply, where).toStrictEqual({ ok: true });
        this.model.set(request.key, request.value);
        break;
      case "DELETE":
        expect(reply, where).toStrictEqual({ ok: true, deleted: this.model.has(request.key) });
        this.model.delete(request.key);
        break;
      case "GET_ONE":
        if (this.model.has(request.key)) {
          expect(reply, where).toStrictEqual({ key: request.key, value: this.model.get(request.key) });
        } else {
          expect(errorCode(reply), `${where}: ${JSON.stringify(reply)}`).toBe(ErrorCode.NOT_FOUND);
        }
        break;
    }
  }

  step(cmd: Command): void {
    switch (cmd.kind) {
      case "put":
        this.client({ op: "PUT", key: cmd.key, value: this.#value() });
        return;
      case "delete":
        this.client({ op: "DELETE", key: cmd.key });
        return;
      case "get":
        this.client({ op: "GET_ONE", key: cmd.key });
        return;
      case "retry": {
        const request = this.deferred.shift();
        if (request) this.client(request);
        return;
      }
      case "fetch": {
        if (this.#batch || this.#offset >= this.#plan.length) return;
        const keys = this.#plan.slice(this.#offset, this.#offset + cmd.size);
        const reply = this.c.fetch(this.#run, keys);
        expect(reply.fetched).toBeGreaterThan(0);
        this.#offset += reply.fetched;
        if (reply.entries.length > 0) this.#batch = { entries: reply.entries, imported: false };
        return;
      }
      case "sweep": {
        if (this.#batch) return;
        const reply = this.c.sweep(this.#run, cmd.limit);
        if (reply.entries.length > 0) this.#batch = { entries: reply.entries, imported: false };
        return;
      }
      case "import":
        if (!this.#batch || this.#batch.imported) return;
        expect(this.c.import(this.#run, this.#batch.entries).count).toBe(this.#batch.entries.length);
        this.#batch.imported = true;
        return;
      case "commit":
        if (!this.#batch?.imported) return;
        this.c.commit(
          this.#run,
          this.#batch.entries.map((e) => e.key),
        );
        this.#batch = undefined;
        return;
      case "kill":
        this.#newRun();
        return;
      case "expire":
        vi.setSystemTime(Date.now() + FENCE_LEASE_MS);
        return;
    }
  }

  /** The rebalancer's last steps: finish the batch in flight, sweep until nothing is left, end. */
  finish(): void {
    if (this.#batch) {
      if (!this.#batch.imported) this.step({ kind: "import" });
      this.step({ kind: "commit" });
    }
    for (let round = 0; ; round++) {
      expect(round, "the final sweep never ran dry").toBeLessThan(100);
      this.step({ kind: "sweep", limit: 1000 });
      if (!this.#batch) break;
      this.step({ kind: "import" });
      this.step({ kind: "commit" });
    }
    this.c.end();
    // Requests that got TRY_AGAIN are retried now, by a client still routing with the old placement.
    for (let i = 0; this.deferred.length > 0; i++) {
      expect(i, "TRY_AGAIN after the move ended").toBeLessThan(1000);
      this.client(this.deferred.shift()!);
    }
  }

  check(): void {
    const held = (n: SimNode) => new Map([...n.store.scan(undefined)].map((e) => [e.key, e.value]));
    const onA = held(this.c.a);
    const onB = held(this.c.b);
    for (const key of onA.keys()) expect(onB.has(key), `${key} is on both nodes`).toBe(false);
    const expectedOn = (node: NodeId) =>
      new Map(
        [...this.model].filter(([key]) => next.locate(key) === node).sort(([x], [y]) => (x < y ? -1 : 1)),
      );
    expect(onA).toStrictEqual(expectedOn("a"));
    expect(onB).toStrictEqual(expectedOn("b"));
    // And every client, whichever placement it routes by, reads the model.
    for (const key of KEYS) {
      this.client({ op: "GET_ONE", key }, current);
      this.client({ op: "GET_ONE", key }, next);
    }
  }
}
