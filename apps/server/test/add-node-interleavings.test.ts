import fc from "fast-check";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import { type Command, commandArb, KEYS, Scenario } from "./support/add-node-scenario.js";

// Property: any interleaving of client requests and mover steps ends with the model's data, each
// key on exactly its next owner.

/** Interleavings always run first: each once broke a plausible implementation. */
const REGRESSIONS: [string[], Command[]][] = [
  // A killed run's copy on b must not come back after a delete on a (the tombstone moves).
  [
    ["150"],
    [{ kind: "fetch", size: 1 }, { kind: "import" }, { kind: "kill" }, { kind: "delete", key: "150" }],
  ],
  // ...nor after a second takeover: tombstones outlive every run until they move.
  [
    ["150"],
    [
      { kind: "fetch", size: 1 },
      { kind: "import" },
      { kind: "kill" },
      { kind: "delete", key: "150" },
      { kind: "kill" },
    ],
  ],
  // A write after the fence's lease ran out must survive the late import and commit of the old copy.
  [
    ["150"],
    [
      { kind: "fetch", size: 1 },
      { kind: "expire" },
      { kind: "put", key: "150" },
      { kind: "import" },
      { kind: "commit" },
    ],
  ],
  // Same, for a delete.
  [["150"], [{ kind: "fetch", size: 1 }, { kind: "expire" }, { kind: "delete", key: "150" }]],
  // A PUT after a DELETE replaces the tombstone.
  [
    ["150"],
    [
      { kind: "delete", key: "150" },
      { kind: "put", key: "150" },
    ],
  ],
  // TRY_AGAIN while fenced, retried after the commit (then ASKed to b).
  [
    ["150"],
    [
      { kind: "sweep", limit: 1 },
      { kind: "put", key: "150" },
      { kind: "import" },
      { kind: "commit" },
      { kind: "retry" },
    ],
  ],
];

describe("add-node move under concurrent client requests (property)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ends with every acknowledged write on its next owner only, whatever the interleaving", () => {
    fc.assert(
      fc.property(fc.subarray([...KEYS]), fc.array(commandArb, { maxLength: 80 }), (initial, commands) => {
        const s = new Scenario(initial);
        for (const cmd of commands) s.step(cmd);
        s.finish();
        s.check();
      }),
      { examples: REGRESSIONS },
    );
  });
});
