import fc from "fast-check";

/**
 * Lets a failing property be replayed exactly: fast-check prints the seed on
 * failure, and `FC_SEED=<seed> FC_NUM_RUNS=<n> pnpm test` reruns with it.
 */
function envInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

const seed = envInteger("FC_SEED");
const numRuns = envInteger("FC_NUM_RUNS");

fc.configureGlobal({
  ...(seed === undefined ? {} : { seed }),
  ...(numRuns === undefined ? {} : { numRuns }),
});
