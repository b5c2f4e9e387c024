import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesOf } from "./helpers.js";
import { scanAll } from "./support/scan-all.js";
import { useStoreEngines } from "./support/store-engines.js";

const { engines } = useStoreEngines();

/** What a scan must return according to a Map model: keys strictly after `after`, ascending UTF-16. */
function modelScan(model: Map<string, string>, after?: string): [string, string][] {
  return [...model.entries()]
    .filter(([k]) => after === undefined || k > after)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One step of a random workload. */
type Op =
  | { kind: "put"; key: string; value: string }
  | { kind: "delete"; key: string }
  | { kind: "get"; key: string }
  | { kind: "scan"; after: string | undefined };

// A small alphabet (with a surrogate pair and a lone surrogate) makes keys collide and exercises
// ordering beyond ASCII.
const key = fc.string({
  unit: fc.constantFrom("a", "b", "c", "é", "\u{1f600}", "\ud800", "\uffff"),
  maxLength: 3,
});
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("put" as const), key, value: fc.string() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("scan" as const), after: fc.option(key, { nil: undefined }) }),
  },
);

describe.each(engines)("%s against a Map model", (_name, newStore) => {
  it("agrees with a Map on every get, delete, size, bytes and scan of random workloads", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 200 }), async (ops) => {
        const store = await newStore();
        const model = new Map<string, string>();
        for (const o of ops) {
          switch (o.kind) {
            case "put":
              store.put(o.key, o.value);
              model.set(o.key, o.value);
              break;
            case "delete":
              expect(store.delete(o.key)).toBe(model.delete(o.key));
              break;
            case "get":
              expect(store.get(o.key)).toBe(model.get(o.key));
              break;
            case "scan":
              expect(scanAll(store, o.after)).toEqual(modelScan(model, o.after));
              break;
          }
          expect(store.size).toBe(model.size);
        }
        expect(scanAll(store)).toEqual(modelScan(model));
        expect(store.bytes).toBe(bytesOf(model));
        await store.close();
      }),
      { numRuns: 50 },
    );
  });

  it("paging with scan(lastKey) visits every key exactly once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(key, { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (keys, pageSize) => {
          const store = await newStore();
          for (const k of keys) store.put(k, `v:${k}`);
          const seen: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page: string[] = [];
            for (const e of store.scan(after)) {
              page.push(e.key);
              if (page.length === pageSize) break;
            }
            if (page.length === 0) break;
            seen.push(...page);
            after = page[page.length - 1];
          }
          expect(seen).toEqual([...keys].sort());
          await store.close();
        },
      ),
      { numRuns: 50 },
    );
  });
});
