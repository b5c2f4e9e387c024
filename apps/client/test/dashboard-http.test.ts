import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAssets } from "../src/dashboard/assets.js";
import { dashboardHandler } from "../src/dashboard/http.js";
import { SseChannel } from "../src/dashboard/sse.js";
import { type MembershipChange, RebalanceError } from "../src/rebalance/plan.js";

/** The dashboard's HTTP layer on a real socket, with the cluster side replaced by a recorder. */

interface Reply {
  status: number;
  type: string;
  body: string;
}

let server: Server;
let host: string;
const changes: MembershipChange[] = [];
const events = new SseChannel(() => [["state", { hello: 1 }]]);

function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: Number(host.split(":")[1]), method, path, headers },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body: text }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(
    "POST",
    path,
    { "content-type": "application/json", origin: `http://${host}`, ...headers },
    JSON.stringify(body),
  );

beforeAll(async () => {
  const assets = await loadAssets();
  const allowed = new Set<string>();
  server = createServer(
    dashboardHandler({
      assets,
      events,
      snapshot: () => ({ state: { members: [] } }),
      change: async (change) => {
        if (change.kind === "remove" && change.id === "node-9")
          throw new RebalanceError("UNKNOWN_NODE", "node-9 is not a member");
        changes.push(change);
        return { run: "run-1" };
      },
      allowedHosts: allowed,
    }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  allowed.add(host);
});
afterAll(async () => {
  events.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("the dashboard's HTTP routes", () => {
  it("serves the page and its files, and nothing else", async () => {
    const page = await send("GET", "/");
    expect([page.status, page.type]).toEqual([200, "text/html; charset=utf-8"]);
    expect(page.body).toContain('<script type="module" src="/assets/app.js">');
    expect((await send("GET", "/assets/app.js")).type).toBe("text/javascript; charset=utf-8");
    expect((await send("GET", "/assets/tsconfig.json")).status).toBe(404);
    expect((await send("GET", "/assets/../../package.json")).status).toBe(404);
    expect((await send("GET", "/index.html")).status).toBe(404);
    expect(JSON.parse((await send("GET", "/api/state")).body)).toEqual({ state: { members: [] } });
  });

  it("refuses a Host that is not the dashboard's (DNS rebinding)", async () => {
    const reply = await send("GET", "/api/state", { host: "attacker.example" });
    expect([reply.status, JSON.parse(reply.body).error.code]).toEqual([403, "FORBIDDEN_HOST"]);
  });

  it("runs add-node and remove-node from JSON POSTs of this origin, answering 202 with the run", async () => {
    const add = await post("/api/add-node", {});
    expect([add.status, JSON.parse(add.body)]).toEqual([202, { run: "run-1" }]);
    expect((await post("/api/add-node", { id: "node-7", weight: 2 })).status).toBe(202);
    expect((await post("/api/remove-node", { id: "node-1" })).status).toBe(202);
    expect(changes).toEqual([
      { kind: "add" },
      { kind: "add", id: "node-7", weight: 2 },
      { kind: "remove", id: "node-1" },
    ]);
  });

  it("answers a refused change with 409 and its code, a bad request with 400", async () => {
    const refused = await post("/api/remove-node", { id: "node-9" });
    expect([refused.status, JSON.parse(refused.body).error.code]).toEqual([409, "UNKNOWN_NODE"]);
    expect((await post("/api/remove-node", {})).status).toBe(400);
    expect((await post("/api/add-node", { id: "../x" })).status).toBe(400);
    expect((await post("/api/add-node", { weight: -1 })).status).toBe(400);
    expect((await post("/api/nothing", {})).status).toBe(404);
  });

  it("takes no change from another site: a foreign Origin is 403, a form post (not JSON) 415", async () => {
    const foreign = await post("/api/add-node", {}, { origin: "http://evil.example" });
    expect([foreign.status, JSON.parse(foreign.body).error.code]).toEqual([403, "FORBIDDEN_ORIGIN"]);
    const form = await send(
      "POST",
      "/api/add-node",
      { "content-type": "application/x-www-form-urlencoded" },
      "a=1",
    );
    expect(form.status).toBe(415);
    expect(changes).toHaveLength(3);
  });

  it("streams server-sent events, starting with the current state", async () => {
    const res = await new Promise<import("node:http").IncomingMessage>((resolve) =>
      request({ host: "127.0.0.1", port: Number(host.split(":")[1]), path: "/events" }, resolve).end(),
    );
    expect(res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    let text = "";
    res.on("data", (d: Buffer) => (text += d.toString()));
    await expect.poll(() => text).toContain('event: state\ndata: {"hello":1}\n\n');
    await expect.poll(() => events.size).toBe(1);
    events.send("ring", { hashing: "ring" });
    await expect.poll(() => text).toContain('event: ring\ndata: {"hashing":"ring"}\n\n');
    res.destroy();
    await expect.poll(() => events.size).toBe(0);
  });
});
