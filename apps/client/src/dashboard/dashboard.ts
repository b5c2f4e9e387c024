import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConsulConfig } from "@zkv/membership";
import type { ClientCurve } from "../lib/cluster/security.js";
import { type ActionOutcome, RebalanceActions } from "./actions.js";
import { loadAssets } from "./assets.js";
import { ClusterFeed } from "./feed.js";
import { dashboardHandler } from "./http.js";
import { SseChannel } from "./sse.js";

/** Where the dashboard listens and which cluster it shows. */
export interface DashboardOptions {
  readonly consul: ConsulConfig;
  /** Interface to bind; 127.0.0.1 by default, since the page can change the cluster. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port?: number;
  /** The CURVE keys to reach the nodes with, when they run CURVE. */
  readonly curve?: ClientCurve;
  /** Where the page's files are (tests); the app's own by default. */
  readonly webDir?: string;
}

/**
 * `zkv dashboard`: a small web server showing the cluster live (the ring, the members with their
 * health, keys and ops/s, and any add-node / remove-node in progress), pushed to every open page
 * as server-sent events, with buttons that run add-node / remove-node as the CLI does.
 */
export class Dashboard {
  #closed = false;

  private constructor(
    readonly url: string,
    private readonly server: Server,
    private readonly feed: ClusterFeed,
    private readonly events: SseChannel,
    private readonly actions: RebalanceActions,
  ) {}

  /** Connects to the cluster, then listens; resolves once the page can be opened at `url`. */
  static async start(options: DashboardOptions): Promise<Dashboard> {
    const assets = await loadAssets(options.webDir);
    const feed = new ClusterFeed(options.consul, options.curve);
    const events = new SseChannel(() => [
      ["ring", feed.ring],
      ["state", feed.state],
    ]);
    const actions = new RebalanceActions(
      options.consul,
      options.curve,
      (p) => feed.report(p),
      (outcome: ActionOutcome) => events.send("outcome", outcome),
    );
    feed.on("state", (s) => events.send("state", s));
    feed.on("ring", (r) => events.send("ring", r));
    try {
      await feed.start();
    } catch (err) {
      feed.close();
      throw err;
    }
    const host = options.host ?? "127.0.0.1";
    const local = host === "127.0.0.1" || host === "localhost" || host === "::1";
    const allowed = new Set<string>();
    const server = createServer(
      dashboardHandler({
        assets,
        events,
        snapshot: () => ({ state: feed.state, ring: feed.ring }),
        change: (change) => actions.start(change),
        // Bound to every interface, the operator chose to be reached by any name.
        allowedHosts: host === "0.0.0.0" || host === "::" ? undefined : allowed,
      }),
    );
    server.listen(options.port ?? 8080, host);
    try {
      await Promise.race([
        once(server, "listening"),
        once(server, "error").then(([err]) => Promise.reject(err)),
      ]);
    } catch (err) {
      feed.close();
      throw err;
    }
    const port = (server.address() as AddressInfo).port;
    const names = local ? ["127.0.0.1", "localhost", "[::1]"] : [host.includes(":") ? `[${host}]` : host];
    for (const name of names) allowed.add(`${name}:${port}`);
    return new Dashboard(`http://${names[0]}:${port}/`, server, feed, events, actions);
  }

  /** True while a rebalance this dashboard started is running. */
  get busy(): boolean {
    return this.actions.busy;
  }

  /**
   * Waits for a rebalance this dashboard started (never left halfway on purpose), then closes
   * the pages' streams, the server and the cluster feed. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.actions.close();
    this.events.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.feed.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
