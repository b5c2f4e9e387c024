import { ZkvClient } from "../../src/index.js";
import type { ComposeStack } from "./stack.js";

/** Reads of a compose stack's data, from the host (published ports) or a client container. */

/** Keys whose value, read through the published ports as a static cluster, is not `expected`'s. */
export async function wrongThroughPorts(
  basePort: number,
  nodes: number,
  expected: ReadonlyMap<string, string>,
): Promise<string[]> {
  const client = await ZkvClient.connect({ static: { nodes: nodes, host: "127.0.0.1", basePort } });
  try {
    const keys = [...expected.keys()];
    const values = await client.getMany(keys, 64);
    return keys.filter((k, i) => values[i] !== expected.get(k));
  } finally {
    client.close();
  }
}

/** Keys of one node, read through its published port. */
export async function keysOn(basePort: number, nodes: number, node: string): Promise<string[]> {
  const client = await ZkvClient.connect({ static: { nodes: nodes, host: "127.0.0.1", basePort } });
  try {
    const keys: string[] = [];
    for await (const kv of client.scanNode(node)) keys.push(kv.key);
    return keys.sort();
  } finally {
    client.close();
  }
}

/** Every key and value, as `zkv all` prints them in a client container. */
export async function allFromClientContainer(stack: ComposeStack): Promise<Map<string, string>> {
  const all = await stack.zkv("all");
  if (all.status !== 0) throw new Error(`zkv all exited ${all.status}: ${all.stderr}`);
  return new Map(
    all.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t") as [string, string]),
  );
}

/** Keys of `expected` that `have` lacks or holds with another value. */
export function missingFrom(
  have: ReadonlyMap<string, string>,
  expected: ReadonlyMap<string, string>,
): string[] {
  return [...expected].filter(([k, v]) => have.get(k) !== v).map(([k]) => k);
}
