import { HASHING_MODES, type HashingMode } from "@zkv/hashring";
import type Consul from "consul";
import { type ConsulConfig, createConsulClient } from "./config.js";
import { InvalidSettingError, wrapConsulError } from "./errors.js";
import { watchKvRecord } from "./kv-json.js";
import type { MembershipLogger } from "./logger.js";
import {
  initialPlacement,
  PLACEMENT_KEY,
  type PlacementRecord,
  parsePlacementRecord,
} from "./placement-record.js";
import { parseReplicationRecord, type ReplicationRecord } from "./replication-change.js";
import {
  NO_REPLICATION,
  parseReplication,
  REPLICATION_KEY,
  type Replication,
} from "./replication-setting.js";
import { BlockingWatch } from "./watch.js";

/** The KV key holding the initial cluster size, as the seed defines it. */
export const CLUSTER_SIZE_KEY = "cluster_size";
/** Prefix of every other key zkv keeps in Consul KV (an ACL policy can grant just this). */
export const KV_PREFIX = "zkv/";
/** The KV key holding the cluster's hashing algorithm. */
export const HASHING_KEY = `${KV_PREFIX}hashing`;

/**
 * The KV key holding the client public keys every CURVE-enabled node admits, one Z85 key a line
 * (in addition to each node's own allow-list file). Nodes watch it, so an edit applies at once.
 */
export const CURVE_ALLOWED_CLIENTS_KEY = `${KV_PREFIX}curve/allowed-clients`;

/** Cluster-wide settings in Consul KV, read by the launcher, nodes and clients alike. */
export class ClusterSettings {
  readonly #consul: Consul;

  constructor(
    config: ConsulConfig,
    private readonly timeoutMs = 5000,
  ) {
    this.#consul = createConsulClient(config);
  }

  /** The replication settings; one copy of each key when the key is absent. */
  async replication(): Promise<Replication> {
    const raw = await this.get(REPLICATION_KEY);
    return raw === undefined ? NO_REPLICATION : parseReplication(raw);
  }

  async setReplication(settings: Replication): Promise<void> {
    await this.set(REPLICATION_KEY, JSON.stringify(settings));
  }

  /**
   * The stored replication record (the setting and any change in progress) and its ModifyIndex,
   * for a check-and-set; one copy of each key and index 0 when the key is absent.
   */
  async replicationRecord(): Promise<{ record: ReplicationRecord; index: number }> {
    const { value, index } = await this.#getIndexed(REPLICATION_KEY);
    return { record: value ? parseReplicationRecord(value) : { ...NO_REPLICATION }, index };
  }

  /** Writes the replication record only if it is still at `index` (0: only if absent); false otherwise. */
  async writeReplicationRecord(record: ReplicationRecord, index: number): Promise<boolean> {
    return this.#casSet(REPLICATION_KEY, JSON.stringify(record), index);
  }

  /** Push notifications of the replication record (one copy of each key while absent). */
  watchReplication(logger?: MembershipLogger): BlockingWatch<ReplicationRecord> {
    const consul = this.#consul;
    return new BlockingWatch<ReplicationRecord>({
      consul,
      method: consul.kv.get as never,
      options: { key: REPLICATION_KEY },
      transform: (data) => {
        const raw = (data as { Value?: string | null } | null)?.Value;
        return raw ? parseReplicationRecord(raw) : { ...NO_REPLICATION };
      },
      fingerprint: (record) => JSON.stringify(record),
      label: `KV ${REPLICATION_KEY}`,
      ...(logger ? { logger } : {}),
    });
  }

  /** Reads a raw KV value; undefined when the key does not exist. */
  async get(key: string): Promise<string | undefined> {
    try {
      const item = await this.#consul.kv.get({ key, timeout: this.timeoutMs } as never);
      return item?.Value ?? undefined;
    } catch (err) {
      throw wrapConsulError(`reading KV "${key}"`, err);
    }
  }

  async set(key: string, value: string): Promise<void> {
    try {
      const ok = await this.#consul.kv.set({ key, value, timeout: this.timeoutMs } as never);
      if (!ok) throw new Error("Consul refused the write");
    } catch (err) {
      throw wrapConsulError(`writing KV "${key}"`, err);
    }
  }

  /** The cluster size, or undefined when unset; InvalidSettingError for anything but a positive integer. */
  async clusterSize(): Promise<number | undefined> {
    const raw = await this.get(CLUSTER_SIZE_KEY);
    return raw === undefined ? undefined : parseClusterSize(raw);
  }

  async setClusterSize(size: number): Promise<void> {
    if (!Number.isInteger(size) || size < 1)
      throw new InvalidSettingError(CLUSTER_SIZE_KEY, String(size), "a positive integer");
    await this.set(CLUSTER_SIZE_KEY, String(size));
  }

  /** The hashing mode; "ring" when unset, so a cluster that never chose agrees with itself. */
  async hashing(): Promise<HashingMode> {
    const raw = await this.get(HASHING_KEY);
    return raw === undefined ? "ring" : parseHashing(raw);
  }

  async setHashing(mode: HashingMode): Promise<void> {
    await this.set(HASHING_KEY, parseHashing(mode));
  }

  /** The stored placement record and its ModifyIndex (for a check-and-set); index 0 when absent. */
  async placementRecord(): Promise<{ record: PlacementRecord | undefined; index: number }> {
    const { value, index } = await this.#getIndexed(PLACEMENT_KEY);
    return value ? { record: parsePlacementRecord(value), index } : { record: undefined, index: 0 };
  }

  /** A raw KV value with its ModifyIndex; index 0 when absent. */
  async #getIndexed(key: string): Promise<{ value: string | undefined; index: number }> {
    let item: { Value?: string | null; ModifyIndex?: number } | null;
    try {
      item = (await this.#consul.kv.get({ key, timeout: this.timeoutMs } as never)) as typeof item;
    } catch (err) {
      throw wrapConsulError(`reading KV "${key}"`, err);
    }
    if (!item?.Value) return { value: undefined, index: 0 };
    return { value: item.Value, index: item.ModifyIndex ?? 0 };
  }

  /** A check-and-set write: true when the key was still at `index`. */
  async #casSet(key: string, value: string, index: number): Promise<boolean> {
    try {
      return Boolean(await this.#consul.kv.set({ key, value, cas: index, timeout: this.timeoutMs } as never));
    } catch (err) {
      throw wrapConsulError(`writing KV "${key}"`, err);
    }
  }

  /**
   * The placement in force: the stored record, or the one every party derives from
   * `cluster_size` before any node was added or removed. Undefined when neither exists.
   */
  async placement(): Promise<PlacementRecord | undefined> {
    const { record } = await this.placementRecord();
    if (record) return record;
    const size = await this.clusterSize();
    return size === undefined ? undefined : initialPlacement(size);
  }

  /**
   * Writes the placement record only if it is still at `index` (0: only if absent), and keeps
   * `cluster_size` equal to the member count. False when someone else wrote first.
   */
  async writePlacement(record: PlacementRecord, index: number): Promise<boolean> {
    if (!(await this.#casSet(PLACEMENT_KEY, JSON.stringify(record), index))) return false;
    await this.setClusterSize(record.members.length);
    return true;
  }

  /** Push notifications of the placement record (undefined while absent). */
  watchPlacement(logger?: MembershipLogger): BlockingWatch<PlacementRecord | undefined> {
    return watchKvRecord(this.#consul, PLACEMENT_KEY, parsePlacementRecord, logger);
  }

  /** Push notifications of one KV key's value (undefined when deleted). */
  watchKey(key: string, logger?: MembershipLogger): BlockingWatch<string | undefined> {
    const consul = this.#consul;
    return new BlockingWatch<string | undefined>({
      consul,
      method: consul.kv.get as never,
      options: { key },
      transform: (data) => (data as { Value?: string | null } | null)?.Value ?? undefined,
      fingerprint: (v) => (v === undefined ? "\u0000absent" : `=${v}`),
      label: `KV ${key}`,
      ...(logger ? { logger } : {}),
    });
  }
}

/** Parses `cluster_size`: a positive integer, surrounding whitespace allowed. */
export function parseClusterSize(raw: string): number {
  const trimmed = raw.trim();
  const n = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidSettingError(CLUSTER_SIZE_KEY, raw, "a positive integer");
  }
  return n;
}

/** Parses `zkv/hashing`: one of @zkv/hashring's HASHING_MODES, any case, whitespace allowed. */
export function parseHashing(raw: string): HashingMode {
  const mode = raw.trim().toLowerCase();
  const known = HASHING_MODES.find((m) => m === mode);
  if (known === undefined)
    throw new InvalidSettingError(HASHING_KEY, raw, HASHING_MODES.map((m) => `"${m}"`).join(" or "));
  return known;
}
