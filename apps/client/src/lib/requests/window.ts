/**
 * At most `size` slots taken: `acquire` waits until its slots are free, `release` frees them. A
 * task may take several slots (a bulk message its entries' worth); one that takes more than
 * `size` goes alone. A plain counter and a FIFO of waiters, so a million tasks cost a million
 * O(1) steps (racing a set of promises would make each wait O(window)).
 */
export class Window {
  #active = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async acquire(slots = 1): Promise<void> {
    while (this.#active > 0 && this.#active + slots > this.size) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#active += slots;
  }

  release(slots = 1): void {
    this.#active -= slots;
    this.#waiters.shift()?.();
  }

  /** Resolves once every acquired slot has been released. */
  async drain(): Promise<void> {
    while (this.#active > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
