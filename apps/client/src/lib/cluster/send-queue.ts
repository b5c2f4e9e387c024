/**
 * A first-in first-out queue that lets go of what it hands out: a taken item's slot is cleared at
 * once, and the array starts over whenever the queue empties. The batcher's queue used to keep
 * every sent operation (its request, key and promise callbacks) until 4096 of them had piled up
 * before the head, so under 50 callers each young-generation GC copied thousands of finished
 * operations and then promoted them to the old generation: a fifth of the client's CPU per op was
 * GC. shift() on a long array is O(n); an index is O(1).
 */
export class SendQueue<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  /** Items queued and not yet taken. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest item, left in the queue; undefined when it is empty. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Takes the oldest item; undefined when the queue is empty. */
  take(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Slots the queue still holds an item in: its size, for a test to check nothing taken is kept. */
  held(): number {
    let held = 0;
    for (const item of this.#items) if (item !== undefined) held++;
    return held;
  }
}
