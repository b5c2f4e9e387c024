import { describe, expect, it } from "vitest";
import { membersFromHealth, membershipFingerprint, parseClusterSize, parseHashing } from "../src/index.js";

const entry = (id: string, statuses: string[], port = 2000) => ({
  Node: { Address: "10.0.0.9" },
  Service: { ID: `zkv-${id}`, Address: "127.0.0.1", Port: port, Meta: { node_id: id, weight: "2" } },
  Checks: statuses.map((Status) => ({ Status })),
});

describe("membersFromHealth", () => {
  it("sorts by id and takes the worst check as health", () => {
    const members = membersFromHealth([
      entry("node-1", ["passing", "critical"], 2001),
      entry("node-0", ["passing"]),
    ]);
    expect(members.map((m) => [m.id, m.health, m.port, m.weight])).toEqual([
      ["node-0", "passing", 2000, 2],
      ["node-1", "critical", 2001, 2],
    ]);
  });
  it("skips entries that are not zkv nodes", () => {
    expect(membersFromHealth([{ Service: { Port: 1 } }, {}])).toEqual([]);
  });
  it("fingerprints equal views equally and health flips differently", () => {
    const a = membersFromHealth([entry("node-0", ["passing"])]);
    const b = membersFromHealth([entry("node-0", ["passing"])]);
    const c = membersFromHealth([entry("node-0", ["critical"])]);
    expect(membershipFingerprint(a)).toBe(membershipFingerprint(b));
    expect(membershipFingerprint(a)).not.toBe(membershipFingerprint(c));
  });
});

describe("settings parsing", () => {
  it("accepts positive integers for cluster_size only", () => {
    expect(parseClusterSize(" 4\n")).toBe(4);
    for (const bad of ["0", "-1", "4.5", "four", ""])
      expect(() => parseClusterSize(bad)).toThrow(/cluster_size/);
  });
  it("accepts ring and hrw", () => {
    expect(parseHashing("HRW")).toBe("hrw");
    expect(() => parseHashing("maglev")).toThrow(/ring/);
  });
});
