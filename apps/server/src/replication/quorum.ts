/** How a quorum wait ended: enough answers, or the replicas that did not answer in time. */
export type QuorumOutcome<T> =
  | { readonly ok: true; readonly answers: ReadonlyMap<string, T> }
  | { readonly ok: false; readonly answers: ReadonlyMap<string, T>; readonly missing: readonly string[] };

/**
 * Waits for `needed` of the replicas asked to answer. Resolves as soon as enough have (the rest
 * keep going: a late ack still lands, and read repair still sees late answers through
 * `onLate`), or with ok: false once so many failed that `needed` cannot be reached, or at the
 * deadline. Never rejects: a replica's failure is an answer missing, not an error.
 */
export function awaitQuorum<T>(
  requests: ReadonlyMap<string, Promise<T>>,
  needed: number,
  timeoutMs: number,
  onLate?: (replica: string, answer: T) => void,
): Promise<QuorumOutcome<T>> {
  return new Promise((resolve) => {
    const answers = new Map<string, T>();
    let failed = 0;
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const missing = [...requests.keys()].filter((r) => !answers.has(r));
      resolve(ok ? { ok, answers: new Map(answers) } : { ok, answers: new Map(answers), missing });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    if (needed <= 0) finish(true);
    for (const [replica, request] of requests) {
      request.then(
        (answer) => {
          if (settled) return onLate?.(replica, answer);
          answers.set(replica, answer);
          if (answers.size >= needed) finish(true);
        },
        () => {
          if (settled) return;
          failed++;
          if (requests.size - failed < needed) finish(false);
        },
      );
    }
  });
}
