import { EventEmitter, on } from "node:events";
import type Consul from "consul";
import { wrapConsulError } from "./errors.js";
import { type MembershipLogger, silentLogger } from "./logger.js";

/** How a blocking query is run: wait, backoff and the label it logs under. */
export interface BlockingWatchOptions<T> {
  readonly consul: Consul;
  /** The npm-consul method to call (e.g. `consul.health.service`), with its options. */
  readonly method: (options: never) => Promise<unknown>;
  readonly options: Record<string, unknown>;
  /** Turns the raw answer into the value consumers see. */
  readonly transform: (data: unknown) => T;
  /** Equal fingerprints are the same state: consumers see each real change once. */
  readonly fingerprint: (value: T) => string;
  readonly label: string;
  readonly logger?: MembershipLogger;
  /** Longest a blocking query waits server-side. Default 30 s (Consul's default is 5 min). */
  readonly waitSeconds?: number;
  /** Retry delay cap after errors; kept low so a returning Consul is noticed within seconds. */
  readonly backoffMaxMs?: number;
}

/**
 * A Consul blocking query as a stream of de-duplicated values: push, not polling. The npm
 * client's Watch does the long-poll, the X-Consul-Index bookkeeping (including the reset when the
 * index goes backwards after an agent restart) and exponential backoff on errors; this adds
 * de-duplication, one log line per outage and per recovery, the last known value while Consul
 * is unreachable, and an async iterator.
 */
export class BlockingWatch<T> extends EventEmitter<{ change: [T]; error: [Error]; close: [] }> {
  #watch: ReturnType<Consul["watch"]> | undefined;
  #value: T | undefined;
  #fingerprint: string | undefined;
  #reachable = true;
  #closed = false;
  readonly #log: MembershipLogger;

  constructor(private readonly opts: BlockingWatchOptions<T>) {
    super();
    this.#log = opts.logger ?? silentLogger;
  }

  /**
   * Reads the current value once (throws when Consul is unreachable), then watches for changes.
   * Listen to `change` before the next await: a change that comes while nobody listens is not
   * told again (`current()` has it).
   */
  async start(): Promise<T> {
    let first: T;
    try {
      const timeout = 5000;
      first = this.opts.transform(
        await this.opts.method.call(this.#owner(), { ...this.opts.options, timeout } as never),
      );
    } catch (err) {
      throw wrapConsulError(`reading ${this.opts.label}`, err);
    }
    this.#accept(first, false);
    const wait = this.opts.waitSeconds ?? 30;
    this.#watch = this.opts.consul.watch({
      method: this.opts.method as never,
      options: { ...this.opts.options, wait: `${wait}s` } as never,
      backoffFactor: 100,
      backoffMax: this.opts.backoffMaxMs ?? 2000,
    } as never);
    this.#watch.on("change", (data: unknown) => this.#onData(data));
    this.#watch.on("error", (err: Error) => this.#onError(err));
    return first;
  }

  /** The last value seen; while Consul is unreachable, the last one it gave. */
  current(): T | undefined {
    return this.#value;
  }

  /** False from a failed query until the next successful one. */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** Stops the long-poll (the in-flight request is aborted). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch?.end();
    this.emit("close");
  }

  /** Each change after start(), until close(). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#closed) return;
    const ac = new AbortController();
    const stop = () => ac.abort();
    this.once("close", stop);
    try {
      for await (const [value] of on(this, "change", { signal: ac.signal })) yield value as T;
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    } finally {
      this.off("close", stop);
    }
  }

  #owner(): unknown {
    // npm-consul methods read `this.consul`; the watch calls them the same way.
    return { consul: this.opts.consul };
  }

  #onData(data: unknown): void {
    if (this.#closed) return;
    let value: T;
    try {
      value = this.opts.transform(data);
    } catch (err) {
      this.#onError(err as Error);
      return;
    }
    if (!this.#reachable)
      this.#log.info({ watch: this.opts.label }, "Consul reachable again; watch caught up");
    this.#reachable = true;
    this.#accept(value, true);
  }

  #accept(value: T, emit: boolean): void {
    const fp = this.opts.fingerprint(value);
    if (fp === this.#fingerprint) return;
    this.#fingerprint = fp;
    this.#value = value;
    if (emit) this.emit("change", value);
  }

  #onError(err: Error): void {
    if (this.#closed) return;
    if (this.#reachable) {
      this.#log.warn(
        { watch: this.opts.label, err: err.message },
        "Consul unreachable; keeping the last known state and retrying",
      );
    }
    this.#reachable = false;
    if (this.listenerCount("error") > 0)
      this.emit("error", wrapConsulError(`watching ${this.opts.label}`, err));
  }
}
