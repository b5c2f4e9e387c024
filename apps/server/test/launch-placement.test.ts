import { initialPlacement } from "@zkv/membership";
import { describe, expect, it } from "vitest";
import { contradictions } from "../src/launcher/launch-placement.js";

const stored = { hashing: "ring", n: 1 };

describe("contradictions: the flags a restart may not change", () => {
  it("finds none without a stored record: the flags seed a new cluster", () => {
    expect(
      contradictions({ record: undefined, stored, flags: { clusterSize: 9, hashing: "hrw", replicas: 3 } }),
    ).toEqual([]);
  });

  it("accepts flags that repeat what the record and settings say", () => {
    const record = initialPlacement(3);
    expect(
      contradictions({ record, stored, flags: { clusterSize: 3, hashing: "ring", replicas: 1 } }),
    ).toEqual([]);
    expect(contradictions({ record, stored, flags: {} })).toEqual([]);
  });

  it("names every flag that differs from the stored cluster", () => {
    const record = { ...initialPlacement(3), epoch: 4 };
    expect(
      contradictions({ record, stored, flags: { clusterSize: 2, hashing: "hrw", replicas: 3 } }),
    ).toEqual([
      "--cluster-size 2 (it has 3 members)",
      "--hashing hrw (it uses ring)",
      "--replicas 3 (it keeps 1)",
    ]);
  });

  it("lets a cluster mid-rebalance be restarted with the size it is moving to or from", () => {
    const record = initialPlacement(3);
    const moving = {
      ...record,
      transition: {
        kind: "add" as const,
        node: "node-3",
        run: "r",
        next: initialPlacement(4).members,
        startedAt: "",
      },
    };
    expect(contradictions({ record: moving, stored, flags: { clusterSize: 4 } })).toEqual([]);
  });
});
