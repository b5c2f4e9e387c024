/** Polls `check` every 100 ms until it is true or `timeoutMs` passes; resolves to whether it became true. */
export async function eventuallyTrue(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not yet: Consul or a node may be catching up
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
