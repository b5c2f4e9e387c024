/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes: tests wait on conditions,
 * never on a sleep and a hope. The last error or value is in the failure message.
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `condition not met within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : String(last)})`,
  );
}
