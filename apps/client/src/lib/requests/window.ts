/**
 * At most `size` tasks outstanding: `acquire` waits for a free slot, `release` frees one. A plain
 * counter and a FIFO of waiters, so a million tasks cost a million O(1) steps (racing a set of
 * promises would make each wait O(window)).
 */
export class Window {
  #active = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<void> {
    while (this.#active >= this.size) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#active++;
  }

  release(): void {
    this.#active--;
    this.#waiters.shift()?.();
  }

  /** Resolves once every acquired slot has been released. */
  async drain(): Promise<void> {
    while (this.#active > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
