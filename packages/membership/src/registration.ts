import type Consul from "consul";
import { type ConsulConfig, createConsulClient } from "./config.js";
import { wrapConsulError } from "./errors.js";
import { type MembershipLogger, silentLogger } from "./logger.js";
import { checkIdOf, SERVICE_NAME, serviceIdOf } from "./members.js";

/** What a node tells Consul about itself. */
export interface RegistrationOptions {
  readonly consul: ConsulConfig;
  readonly nodeId: string;
  /** The address other hosts use to reach the node (its advertise address). */
  readonly address: string;
  readonly port: number;
  readonly weight?: number;
  /** TTL of the health check; the node passes it every third of this. Default 10 s. */
  readonly ttlSeconds?: number;
  /** Extra service meta (the metrics port, a CURVE public key). */
  readonly meta?: Readonly<Record<string, string>>;
  readonly logger?: MembershipLogger;
  /** Per-request timeout, so a hung agent never stalls the node. Default 5 s. */
  readonly requestTimeoutMs?: number;
  /**
   * Run when Consul answers again after heartbeats failed, before the check passes again: what
   * the node may have missed meanwhile (the placement) is read first, so nobody routes to it while
   * its view is stale (its watches' queries may hang for their whole wait after a partition). A
   * rejection keeps the check failing; the next heartbeat tries again.
   */
  readonly catchUp?: () => Promise<void>;
}

/**
 * A node's registration as service `zkv` with a TTL check that it keeps passing. A node that dies
 * without `close()` goes critical when the TTL lapses but stays a member (placement follows
 * membership, not health); started again with the same id, it registers over its old entry.
 * While Consul is unreachable the heartbeat keeps trying and says so once; when the agent comes
 * back without the registration (an agent restart loses dev-mode state) it registers again.
 */
export class NodeRegistration {
  readonly serviceId: string;
  readonly checkId: string;
  readonly #consul: Consul;
  readonly #log: MembershipLogger;
  readonly #ttlSeconds: number;
  readonly #timeout: number;
  #timer: NodeJS.Timeout | undefined;
  #state: "new" | "running" | "closed" = "new";
  #healthy = true;
  #meta: Readonly<Record<string, string>>;
  /** Set when the meta changed and Consul may not have it yet: the heartbeat registers again. */
  #metaStale = false;
  /** The heartbeat in flight, if any (it never rejects). */
  #beat: Promise<void> | undefined;

  constructor(private readonly options: RegistrationOptions) {
    this.serviceId = serviceIdOf(options.nodeId);
    this.checkId = checkIdOf(options.nodeId);
    this.#consul = createConsulClient(options.consul);
    this.#log = options.logger ?? silentLogger;
    this.#ttlSeconds = options.ttlSeconds ?? 10;
    this.#timeout = options.requestTimeoutMs ?? 5000;
    this.#meta = options.meta ?? {};
  }

  /** Registers and passes the check once; throws ConsulUnavailableError/ConsulPermissionError. */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error(`registration already ${this.#state}`);
    await this.#register();
    await this.#pass();
    this.#state = "running";
    this.#timer = setInterval(() => void this.#heartbeat(), (this.#ttlSeconds * 1000) / 3);
    this.#timer.unref();
    this.#log.info({ serviceId: this.serviceId, ttl: `${this.#ttlSeconds}s` }, "registered in Consul");
  }

  /**
   * Changes service meta (merged into what was registered) by registering again. Consul down: it
   * throws, and the heartbeat keeps trying until the agent has the new meta.
   */
  async updateMeta(meta: Readonly<Record<string, string>>): Promise<void> {
    this.#meta = { ...this.#meta, ...meta };
    if (this.#state !== "running") return; // start() registers with it
    this.#metaStale = true;
    await this.#register();
    await this.#pass();
    this.#metaStale = false;
  }

  /** Stops the heartbeat and deregisters; safe to call twice. A failed deregister is logged, not thrown. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const wasRunning = this.#state === "running";
    this.#state = "closed";
    clearInterval(this.#timer);
    if (!wasRunning) return;
    // A heartbeat in flight may be registering again (after an agent restart or a long pause):
    // let it land first, or it would put back the entry this deregisters, critical for good.
    await this.#beat;
    try {
      await this.#consul.agent.service.deregister({ id: this.serviceId, timeout: this.#timeout } as never);
      this.#log.info({ serviceId: this.serviceId }, "deregistered from Consul");
    } catch (err) {
      this.#log.error({ err: wrapConsulError("deregistering", err) }, "could not deregister from Consul");
    }
  }

  async #register(): Promise<void> {
    const { nodeId, address, port, weight = 1 } = this.options;
    try {
      await this.#consul.agent.service.register({
        name: SERVICE_NAME,
        id: this.serviceId,
        address,
        port,
        meta: { ...this.#meta, node_id: nodeId, weight: String(weight) },
        // Registered again (new meta), the check keeps its status: the node stays passing.
        check: { checkid: this.checkId, name: `zkv ${nodeId} heartbeat`, ttl: `${this.#ttlSeconds}s` },
        timeout: this.#timeout,
      } as never);
    } catch (err) {
      throw wrapConsulError(`registering ${this.serviceId}`, err);
    }
  }

  async #pass(): Promise<void> {
    try {
      await this.#consul.agent.check.pass({ id: this.checkId, timeout: this.#timeout } as never);
    } catch (err) {
      throw wrapConsulError(`passing check ${this.checkId}`, err);
    }
  }

  #heartbeat(): Promise<void> {
    if (this.#beat) return this.#beat; // one at a time: a slow agent must not pile them up
    this.#beat = this.#beatOnce().finally(() => {
      this.#beat = undefined;
    });
    return this.#beat;
  }

  async #beatOnce(): Promise<void> {
    if (this.#state !== "running") return;
    try {
      if (!this.#healthy) await this.options.catchUp?.();
      try {
        if (this.#metaStale) {
          await this.#register();
          this.#metaStale = false;
        }
        await this.#pass();
      } catch (err) {
        // The agent answers but no longer knows our check: it restarted; register again.
        const status = (err as { cause?: { statusCode?: number } }).cause?.statusCode;
        if (status === undefined || status === 403) throw err;
        await this.#register();
        await this.#pass();
        this.#log.warn({ serviceId: this.serviceId }, "Consul had lost the registration; registered again");
      }
      if (!this.#healthy)
        this.#log.info({ serviceId: this.serviceId }, "Consul reachable again; heartbeat resumed");
      this.#healthy = true;
    } catch (err) {
      if (this.#healthy) {
        this.#log.warn(
          { err: (err as Error).message },
          "Consul unreachable; node keeps serving, heartbeat retries",
        );
      }
      this.#healthy = false;
    }
  }
}

/**
 * Removes node `nodeId`'s service from the Consul agent it was registered with: for a launcher
 * clearing the entry of a node that died without deregistering and that the placement no longer
 * names (it would stay critical for good). Throws ConsulUnavailableError/ConsulPermissionError.
 */
export async function deregisterNode(config: ConsulConfig, nodeId: string, timeoutMs = 5000): Promise<void> {
  try {
    await createConsulClient(config).agent.service.deregister({
      id: serviceIdOf(nodeId),
      timeout: timeoutMs,
    } as never);
  } catch (err) {
    throw wrapConsulError(`deregistering ${serviceIdOf(nodeId)}`, err);
  }
}
