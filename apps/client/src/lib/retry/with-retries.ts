/** The pause between tries grows by this much per try, up to MAX_PAUSE_MS. */
const PAUSE_STEP_MS = 200;
const MAX_PAUSE_MS = 2000;

export interface RetryOptions {
  /** How long tries go on, from the first: past it the last error is thrown. */
  readonly patienceMs: number;
  /** Whether an error is worth another try (default: every error is). */
  readonly retryIf?: (err: unknown) => boolean;
  /** Told once, before the first retry, why there is one: for a line on stderr. */
  readonly onFirstRetry?: (err: unknown) => void;
}

/**
 * `call`, tried again after a growing pause (0.2 s, 0.4 s, … up to 2 s) while it fails with an
 * error `retryIf` accepts and the next try would still start within `patienceMs`. The admin
 * commands use it for a node that is paused, restarting or bootstrapping for a few seconds: a
 * later try picks up where the failed one stopped, since every call it retries is idempotent.
 */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + options.patienceMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const pause = Math.min(PAUSE_STEP_MS * attempt, MAX_PAUSE_MS);
      if (Date.now() + pause > deadline || options.retryIf?.(err) === false) throw err;
      if (attempt === 1) options.onFirstRetry?.(err);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
