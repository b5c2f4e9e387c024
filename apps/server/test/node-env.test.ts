import { readFileSync } from "node:fs";
import { freePortRange } from "@zkv/membership/testing";
import { describe, expect, it } from "vitest";
import { nodeEnv } from "../src/launcher/node-env.js";
import { startZkvCluster } from "../src/testing/index.js";

describe("a node process's environment", () => {
  it("fixes glibc's mmap threshold at 128 KiB, so freed bulk messages go back to the OS", () => {
    expect(nodeEnv({ PATH: "/bin" }, { ZKV_X: "1" })).toEqual({
      PATH: "/bin",
      ZKV_X: "1",
      MALLOC_MMAP_THRESHOLD_: "131072",
    });
  });

  it("keeps an operator's own threshold, from the launcher's environment or its options", () => {
    expect(nodeEnv({ MALLOC_MMAP_THRESHOLD_: "1048576" }).MALLOC_MMAP_THRESHOLD_).toBe("1048576");
    expect(nodeEnv({}, { MALLOC_MMAP_THRESHOLD_: "65536" }).MALLOC_MMAP_THRESHOLD_).toBe("65536");
  });
});

describe("the launcher's node processes", () => {
  it("start with that threshold", async () => {
    const cluster = await startZkvCluster({ basePort: await freePortRange(1), args: ["--nodes", "1"] });
    try {
      const [pid] = cluster.nodePids();
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      expect(environ).toContain("MALLOC_MMAP_THRESHOLD_=131072");
    } finally {
      await cluster.stop();
    }
  });
});
