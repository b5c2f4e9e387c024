import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** zkv's documented ACL policy, the one the README shows: the harness grants exactly this. */
export const ZKV_ACL_POLICY_FILE = fileURLToPath(
  new URL("../../../../deploy/consul-acl-policy.hcl", import.meta.url),
);

/** The tokens of an ACL-enabled test agent. */
export interface TestAclTokens {
  /** Full rights: for the agent itself and for test steps that play the operator. */
  readonly management: string;
  /** The zkv token: its SecretID and AccessorID, fixed so a restarted agent gets the same one. */
  readonly zkv: string;
  readonly zkvAccessor: string;
}

export function newAclTokens(): TestAclTokens {
  return { management: randomUUID(), zkv: randomUUID(), zkvAccessor: randomUUID() };
}

/** The agent config that turns ACLs on, default deny, with the management token bootstrapped. */
export function aclAgentConfig(tokens: TestAclTokens): string {
  return (
    `acl { enabled = true, default_policy = "deny", enable_token_persistence = false, ` +
    `tokens { initial_management = "${tokens.management}", agent = "${tokens.management}" } }`
  );
}

/**
 * Creates the zkv policy from ZKV_ACL_POLICY_FILE and the zkv token through the HTTP API, as an
 * operator would. A dev agent keeps no state, so this runs again after every restart. Retries
 * until `deadline`: a fresh leader answers 403 until it has set up its ACL system.
 */
export async function installZkvPolicy(addr: string, tokens: TestAclTokens, deadline: number): Promise<void> {
  const rules = readFileSync(ZKV_ACL_POLICY_FILE, "utf8");
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${addr}${path}`, {
      method: "PUT",
      headers: { "X-Consul-Token": tokens.management },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  };
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await call("/v1/acl/policy", {
        Name: "zkv",
        Description: "zkv (deploy/consul-acl-policy.hcl)",
        Rules: rules,
      });
      await call("/v1/acl/token", {
        AccessorID: tokens.zkvAccessor,
        SecretID: tokens.zkv,
        Description: "zkv",
        Policies: [{ Name: "zkv" }],
      });
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`could not install the zkv ACL policy at ${addr}: ${(last as Error)?.message}`);
}
