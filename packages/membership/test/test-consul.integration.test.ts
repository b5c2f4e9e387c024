import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { freePorts, startTestConsul } from "../src/testing/index.js";

/** The test harness's own agent: what every Consul-backed suite stands on. */

describe("startTestConsul", () => {
  it("starts on new ports when one it was given is taken before the agent binds it", async () => {
    // Another process took the HTTP port between its pick and the agent's bind: the race that
    // failed a CI run ("bind: address already in use").
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const takenPort = (taken.address() as { port: number }).port;
    let picks = 0;
    const ports = async () => (++picks === 1 ? [takenPort, ...(await freePorts(3))] : freePorts(4));
    try {
      const consul = await startTestConsul({ ports, acl: false });
      try {
        expect(picks).toBe(2);
        expect(consul.config.port).not.toBe(takenPort);
        const res = await fetch(`${consul.addr}/v1/status/leader`);
        expect(res.ok).toBe(true);
      } finally {
        await consul.stop();
      }
    } finally {
      taken.close();
    }
  });

  it("gives up with the agent's own words after as many attempts, never hanging", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const takenPort = (taken.address() as { port: number }).port;
    let picks = 0;
    const ports = async () => {
      picks++;
      return [takenPort, ...(await freePorts(3))];
    };
    try {
      await expect(startTestConsul({ ports, acl: false })).rejects.toThrow(/address already in use/);
      expect(picks).toBe(5);
    } finally {
      taken.close();
    }
  });
});
