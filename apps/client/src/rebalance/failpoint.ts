const counters = new Map<string, number>();

/**
 * A named point where tests can stop the rebalancer, to prove that a run interrupted anywhere is
 * finished by running it again. `ZKV_FAILPOINT=after-import:3` SIGKILLs this process the third
 * time it passes `after-import` (an import acknowledged, its commit not yet sent);
 * `ZKV_FAILPOINT=before-placement-write:1:stop` SIGSTOPs it instead, so a test can break
 * something (pause Consul) before it goes on. Unset, it costs one environment lookup.
 */
export function failpoint(name: string): void {
  const spec = process.env.ZKV_FAILPOINT;
  if (!spec?.startsWith(`${name}:`)) return;
  const [nth, action] = spec.slice(name.length + 1).split(":");
  const count = (counters.get(name) ?? 0) + 1;
  counters.set(name, count);
  if (count === Number(nth)) process.kill(process.pid, action === "stop" ? "SIGSTOP" : "SIGKILL");
}
