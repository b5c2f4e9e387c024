/**
 * One timer for many deadlines, where a timer per request would cost a setTimeout and a
 * clearTimeout on every round trip: armed for the earliest deadline it is told of, and when it
 * fires, `expire` fails whatever is due and returns the earliest deadline left (Infinity: none),
 * for which it is armed again. A deadline that no longer matters (its request was answered)
 * just lets the timer fire once for nothing. Unref'd: what is waited for keeps the process alive,
 * not the timer.
 */
export class DeadlineTimer {
  #timer: NodeJS.Timeout | undefined;
  #at = Number.POSITIVE_INFINITY;

  constructor(private readonly expire: (now: number) => number) {}

  /** Makes sure the timer fires by `deadline` (Date.now() time). */
  arm(deadline: number): void {
    if (deadline >= this.#at) return;
    clearTimeout(this.#timer);
    this.#at = deadline;
    this.#timer = setTimeout(this.#fire, Math.max(0, deadline - Date.now()));
    this.#timer.unref();
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
    const next = this.expire(Date.now());
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  };
}
