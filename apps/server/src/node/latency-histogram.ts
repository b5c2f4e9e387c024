import type { Metric, Registry } from "prom-client";

/** One op's observations: how many fell in each bucket (the last is +Inf), their sum and count. */
interface OpCell {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram labelled by `op`, which a node observes once per message. prom-client's
 * own Histogram builds a labels object, validates and hashes it into a string on every
 * observation, microseconds that a node answering one small request pays per round trip; here an
 * observation is a map lookup and three additions, and the cumulative buckets are only computed
 * when scraped. Registered in each registry like any prom-client metric (it implements `get()`),
 * so the exposition is the same: `_bucket` with `le` (numeric bounds, then `+Inf`), `_sum`,
 * `_count`.
 */
export class LatencyHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #byOp = new Map<string, OpCell>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registers: readonly Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  observe(op: string, seconds: number): void {
    let cell = this.#byOp.get(op);
    if (cell === undefined) {
      cell = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.#byOp.set(op, cell);
    }
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++;
    cell.counts[i]!++;
    cell.sum += seconds;
    cell.count++;
  }

  /** What prom-client's registry asks of a metric when it is scraped. */
  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const [op, cell] of this.#byOp) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += cell.counts[i]!;
        values.push({ labels: { op, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { op, le: "+Inf" }, value: cell.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { op }, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { op }, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** prom-client's registry resets every metric in `resetMetrics()`. */
  reset(): void {
    this.#byOp.clear();
  }
}
