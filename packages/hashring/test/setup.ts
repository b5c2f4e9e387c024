import fc from "fast-check";

/**
 * Lets a failing property be replayed, or a run be made longer, without editing tests:
 * `FC_SEED=123 FC_NUM_RUNS=1000 pnpm test`. fast-check prints the seed of any failure.
 */
function intFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

const seed = intFromEnv("FC_SEED");
const numRuns = intFromEnv("FC_NUM_RUNS");
fc.configureGlobal({
  ...(seed === undefined ? {} : { seed }),
  ...(numRuns === undefined ? {} : { numRuns }),
});
