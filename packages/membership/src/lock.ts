import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type Consul from "consul";
import { type ConsulConfig, createConsulClient } from "./config.js";
import { wrapConsulError } from "./errors.js";
import { KV_PREFIX } from "./settings.js";

/** The KV key a rebalance holds while it runs. */
export const REBALANCE_LOCK_KEY = `${KV_PREFIX}rebalance-lock`;

const SESSION_NAME = "zkv rebalance";

/** True when `pid` is a running process (not gone, not a zombie waiting to be reaped). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

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
        name: `${SESSION_NAME} pid=${process.pid} host=${hostname()}`,
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
        if (await lock.#breakDeadHolder()) continue;
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

  /**
   * Frees the lock at once when its holder was a process on this machine that is gone (a killed
   * CLI), instead of waiting for Consul to expire its session, which takes up to twice the TTL
   * and then some (20–35 s measured). A holder elsewhere, or alive, is left alone.
   */
  async #breakDeadHolder(): Promise<boolean> {
    const held = (await this.#consul.kv.get(REBALANCE_LOCK_KEY)) as { Session?: string } | null;
    if (!held?.Session) return false;
    // npm consul answers the session itself (its first item), or nothing once it is gone.
    const info = (await this.#consul.session.info(held.Session)) as { Name?: string } | undefined;
    const m = /pid=(\d+) host=(\S+)$/.exec(info?.Name ?? "");
    if (!m || m[2] !== hostname() || isAlive(Number(m[1]))) return false;
    await this.#consul.session.destroy(held.Session);
    return true;
  }

  /** Releases the lock and destroys the session; safe to call twice, and never throws. */
  async release(): Promise<void> {
    clearInterval(this.#renew);
    const session = this.#session;
    this.#session = undefined;
    if (!session) return;
    // Best effort: a release that cannot reach Consul must not turn a finished run into a failed
    // one. The session's TTL frees the lock anyway once renewals stop.
    await this.#consul.kv
      .set({ key: REBALANCE_LOCK_KEY, value: "", release: session, timeout: 3000 } as never)
      .catch(() => {});
    await this.#consul.session.destroy({ id: session, timeout: 3000 } as never).catch(() => {});
  }
}
