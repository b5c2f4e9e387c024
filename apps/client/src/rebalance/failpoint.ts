const counters = new Map<string, number>();

/**
 * A named point where tests can kill the rebalancer, to prove that a run killed anywhere is
 * finished by running it again. `ZKV_FAILPOINT=after-import:3` SIGKILLs this process the third
 * time it passes `after-import` (an import acknowledged, its commit not yet sent). Unset, it
 * costs one environment lookup.
 */
export function failpoint(name: string): void {
  const spec = process.env.ZKV_FAILPOINT;
  if (!spec?.startsWith(`${name}:`)) return;
  const count = (counters.get(name) ?? 0) + 1;
  counters.set(name, count);
  if (count === Number(spec.slice(name.length + 1))) process.kill(process.pid, "SIGKILL");
}
