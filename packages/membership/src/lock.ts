import type Consul from "consul";
import { type ConsulConfig, createConsulClient } from "./config.js";
import { wrapConsulError } from "./errors.js";
import { KV_PREFIX } from "./settings.js";

/** The KV key a rebalance holds while it runs. */
export const REBALANCE_LOCK_KEY = `${KV_PREFIX}rebalance-lock`;

/** Someone else holds the lock; `holder` is what they wrote into it. */
export class LockHeldError extends Error {
  readonly code = "LOCK_HELD";
  constructor(readonly holder: string) {
    super(`another rebalance holds the lock (${holder})`);
    this.name = "LockHeldError";
  }
}

/**
 * A Consul session-held KV lock: at most one rebalance at a time across the cluster. The session
 * has a TTL that the holder renews; if the holder is killed, the session expires (within the TTL)
 * and the lock is free again, so a killed rebalance can be resumed without manual clean-up.
 */
export class ConsulLock {
  readonly #consul: Consul;
  #session: string | undefined;
  #renew: NodeJS.Timeout | undefined;

  private constructor(config: ConsulConfig) {
    this.#consul = createConsulClient(config);
  }

  /**
   * Takes the lock, retrying for up to `waitMs` while another holder has it; throws LockHeldError
   * after that. `holder` describes this run to whoever finds the lock taken.
   */
  static async acquire(
    config: ConsulConfig,
    holder: string,
    waitMs = 0,
    ttlSeconds = 10,
  ): Promise<ConsulLock> {
    const lock = new ConsulLock(config);
    const deadline = Date.now() + waitMs;
    try {
      const created = (await lock.#consul.session.create({
        name: "zkv rebalance",
        ttl: `${ttlSeconds}s`,
        behavior: "release",
        lockdelay: "0s",
      } as never)) as { ID: string };
      lock.#session = created.ID;
      for (;;) {
        const ok = await lock.#consul.kv.set({
          key: REBALANCE_LOCK_KEY,
          value: holder,
          acquire: created.ID,
        } as never);
        if (ok) break;
        if (Date.now() >= deadline) {
          const current = (await lock.#consul.kv.get(REBALANCE_LOCK_KEY)) as { Value?: string } | null;
          throw new LockHeldError(current?.Value ?? "unknown holder");
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    } catch (err) {
      await lock.release();
      if (err instanceof LockHeldError) throw err;
      throw wrapConsulError("taking the rebalance lock", err);
    }
    lock.#renew = setInterval(
      () => void lock.#consul.session.renew(lock.#session!).catch(() => {}),
      (ttlSeconds * 1000) / 3,
    );
    lock.#renew.unref();
    return lock;
  }

  /** Releases the lock and destroys the session; safe to call twice. */
  async release(): Promise<void> {
    clearInterval(this.#renew);
    const session = this.#session;
    this.#session = undefined;
    if (!session) return;
    try {
      await this.#consul.kv.set({ key: REBALANCE_LOCK_KEY, value: "", release: session } as never);
    } finally {
      await this.#consul.session.destroy(session).catch(() => {});
    }
  }
}
