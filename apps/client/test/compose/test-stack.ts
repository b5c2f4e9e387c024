import { randomBytes } from "node:crypto";
import { freePortRange } from "@zkv/membership/testing";
import { composeCommand } from "./availability.js";
import { COMPOSE_FILE, ComposeStack } from "./stack.js";

/** node-0 … node-4: the four `up` starts and node-4, which a test may add. */
const NODE_PORTS = 5;

/**
 * A compose project of a test's own: a unique name (so it never meets a user's stack), every
 * port on loopback (Consul on any free port, node-i on basePort + i, from a free range), ring
 * hashing whatever the environment says, and its images built. `env` adds to that.
 */
export async function startTestStack(
  name: string,
  files: readonly string[] = [COMPOSE_FILE],
  env: Record<string, string> = {},
): Promise<{ stack: ComposeStack; basePort: number }> {
  const basePort = await freePortRange(NODE_PORTS);
  const ports = Object.fromEntries(
    Array.from({ length: NODE_PORTS }, (_, i) => [`ZKV_PORT_NODE_${i}`, String(basePort + i)]),
  );
  const project = `${name}${process.pid}${randomBytes(3).toString("hex")}`;
  const base = { ZKV_PUBLISH_IP: "127.0.0.1", ZKV_PORT_CONSUL: "", ZKV_HASHING: "ring" };
  const stack = new ComposeStack(project, composeCommand()!, { ...base, ...ports, ...env }, files);
  const started = Date.now();
  await stack.must(["build"], 600_000);
  console.log(`${name}: images built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { stack, basePort };
}
