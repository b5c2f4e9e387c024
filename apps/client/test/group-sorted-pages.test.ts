import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupSortedPages } from "../src/lib/requests/merge.js";

/** A node's listing: ascending distinct keys, cut into pages of random sizes (empty pages too). */
const listing = fc
  .uniqueArray(fc.string({ maxLength: 3 }), { maxLength: 30 })
  .map((keys) => [...keys].sort())
  .chain((keys) =>
    fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 12 }).map((cuts) => {
      const pages: string[][] = [];
      let at = 0;
      for (const cut of cuts) {
        pages.push(keys.slice(at, at + cut));
        at += cut;
      }
      if (at < keys.length) pages.push(keys.slice(at));
      return pages;
    }),
  );

async function* pagesOf(source: number, pages: string[][]) {
  for (const page of pages) yield page.map((key) => ({ key, source }));
}

describe("groupSortedPages", () => {
  it("gives every key once, in order, with each source's item for it, whatever the pages (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(listing, { maxLength: 5 }),
        fc.integer({ min: 1, max: 7 }),
        async (nodes, batch) => {
          const groups: Array<Array<{ key: string; source: number }>> = [];
          for await (const out of groupSortedPages(
            nodes.map((pages, i) => pagesOf(i, pages)),
            (item) => item.key,
            batch,
          )) {
            expect(out.length).toBeLessThanOrEqual(batch);
            groups.push(...out);
          }
          const expected = [...new Set(nodes.flat(2))]
            .sort()
            .map((key) =>
              nodes.flatMap((pages, source) => (pages.flat().includes(key) ? [{ key, source }] : [])),
            );
          expect(groups).toEqual(expected);
        },
      ),
    );
  });
});
