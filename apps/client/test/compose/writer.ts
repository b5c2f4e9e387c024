import { ROOT, run } from "./run-command.js";
import type { ComposeStack } from "./stack.js";

const WRITER = `${ROOT}apps/client/test/compose/writer.mjs`;

/** writer.mjs in a client container on the compose network: `ack <key>` lines until stopped. */
export function startWriter(stack: ComposeStack) {
  const name = `${stack.project}-writer`;
  const mount = `${WRITER}:/app/writer.mjs:ro`;
  const child = stack.start(
    ["run", "--rm", "-T", "--no-deps", "--name", name, "-v", mount, "--entrypoint", "node"].concat([
      "client",
      "writer.mjs",
    ]),
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const lines = (kind: string) => output.split("\n").filter((l) => l.startsWith(`${kind} `));
  const ackedCount = () => lines("ack").length;
  return {
    ackedCount,
    failed: () => lines("fail").length,
    ackedKeys: () => new Map(lines("ack").map((l) => [l.slice(4), `value-of-${l.slice(4)}`] as const)),
    async acked(count: number): Promise<void> {
      const deadline = Date.now() + 60_000;
      while (ackedCount() < count) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`the writer has ${ackedCount()} of ${count} acks:\n${output.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** SIGTERM to the writer (docker stop), which finishes its writes in flight and exits. */
    async stop(): Promise<void> {
      await run("docker", ["stop", "--time", "20", name]);
      await closed;
      if (!/^done \d+ \d+$/m.test(output))
        throw new Error(`the writer did not finish:\n${output.slice(-2000)}`);
    },
  };
}
