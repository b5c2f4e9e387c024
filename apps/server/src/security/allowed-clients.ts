import {
  type BlockingWatch,
  ClusterSettings,
  type ConsulConfig,
  CURVE_ALLOWED_CLIENTS_KEY,
} from "@zkv/membership";
import { loadAllowListFile, parseAllowList } from "@zkv/protocol";
import type { Logger } from "../logger.js";

/** Where a node's allow-list of client public keys comes from. */
export interface AllowedClientsOptions {
  /** The node's own public key: a holder of its secret key (its launcher) is always admitted. */
  readonly ownKey: string;
  /** A file of Z85 keys, read once at start. */
  readonly file?: string;
  /** Consul mode: the keys in KV `zkv/curve/allowed-clients`, followed by a blocking query. */
  readonly consul?: ConsulConfig;
  readonly logger: Logger;
}

/**
 * The client keys a CURVE node admits: the union of its allow-list file, the cluster's list in
 * Consul KV and its own key. A malformed file or KV value at start fails start(); a malformed KV
 * edit later is logged and ignored (the previous list stays), so one typo never opens the node
 * or locks every client out.
 */
export class AllowedClients {
  #fileKeys = new Set<string>();
  #kvKeys = new Set<string>();
  #watch: BlockingWatch<string | undefined> | undefined;

  constructor(private readonly options: AllowedClientsOptions) {}

  async start(): Promise<void> {
    const { file, consul, logger } = this.options;
    if (file) this.#fileKeys = loadAllowListFile(file);
    if (consul) {
      this.#watch = new ClusterSettings(consul).watchKey(CURVE_ALLOWED_CLIENTS_KEY, logger);
      this.#kvKeys = parseKv(await this.#watch.start());
      this.#watch.on("change", (value) => {
        try {
          this.#kvKeys = parseKv(value);
          logger.info({ keys: this.#kvKeys.size }, "allow-list updated from Consul KV");
        } catch (err) {
          logger.error(
            { err: (err as Error).message },
            "allow-list in Consul KV is invalid; keeping the previous one",
          );
        }
      });
    }
    if (this.size === 0)
      logger.warn({}, "CURVE is on but no client key is allowed: only this node's own key can connect");
  }

  /** True when `key` (Z85) may connect. */
  has(key: string): boolean {
    return key === this.options.ownKey || this.#fileKeys.has(key) || this.#kvKeys.has(key);
  }

  /** Client keys allowed besides the node's own. */
  get size(): number {
    return new Set([...this.#fileKeys, ...this.#kvKeys]).size;
  }

  close(): void {
    this.#watch?.close();
  }
}

function parseKv(value: string | undefined): Set<string> {
  return value === undefined ? new Set() : parseAllowList(value, `Consul KV ${CURVE_ALLOWED_CLIENTS_KEY}`);
}
