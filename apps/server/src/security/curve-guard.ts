import type { ConsulConfig } from "@zkv/membership";
import type { CurveKeyPair } from "@zkv/protocol";
import { Context } from "zeromq";
import type { Logger } from "../logger.js";
import { AllowedClients } from "./allowed-clients.js";
import { ZapHandler } from "./zap.js";

/** CURVE on a node: its keypair and who may connect (see AllowedClients). */
export interface NodeCurveOptions {
  readonly identity: CurveKeyPair;
  /** File of allowed client public keys; Consul-mode nodes also follow the list in Consul KV. */
  readonly allowedClientsFile?: string;
}

/**
 * Everything CURVE adds to a node: a ZeroMQ context of its own (so two nodes in one process
 * never clash over the ZAP endpoint), the allow-list, and the ZAP handler that consults it.
 * start() must finish before the node socket binds, and close() run after it closed.
 */
export class CurveGuard {
  readonly context = new Context();
  readonly #allowed: AllowedClients;
  readonly #zap: ZapHandler;

  constructor(
    readonly options: NodeCurveOptions,
    consul: ConsulConfig | undefined,
    logger: Logger,
  ) {
    const allowed = new AllowedClients({
      ownKey: options.identity.publicKey,
      logger,
      ...(options.allowedClientsFile ? { file: options.allowedClientsFile } : {}),
      ...(consul ? { consul } : {}),
    });
    this.#allowed = allowed;
    this.#zap = new ZapHandler(this.context, (key) => allowed.has(key), logger);
  }

  get publicKey(): string {
    return this.options.identity.publicKey;
  }

  /** Client keys allowed besides the node's own. */
  get allowedClients(): number {
    return this.#allowed.size;
  }

  /** Handshakes refused since start. */
  get refused(): number {
    return this.#zap.refused;
  }

  /** Loads the allow-list and binds the ZAP handler; on failure leaves nothing running. */
  async start(): Promise<void> {
    try {
      await this.#allowed.start();
      await this.#zap.start();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#allowed.close();
    await this.#zap.close();
  }
}
