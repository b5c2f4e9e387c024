import fc from "fast-check";

/**
 * vitest setup shared by every package with property tests: a failing property is replayed
 * exactly, or a run made longer, without editing tests. fast-check prints the seed of any
 * failure; `FC_SEED=<seed> FC_NUM_RUNS=<n> pnpm test` reruns with it.
 */
function integerFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

const seed = integerFromEnv("FC_SEED");
const numRuns = integerFromEnv("FC_NUM_RUNS");
fc.configureGlobal({
  ...(seed === undefined ? {} : { seed }),
  ...(numRuns === undefined ? {} : { numRuns }),
});
